import { reactive } from 'vue';
import { client } from './client';
import { MeDocument, type MeQuery } from './gql/graphql';

/** Who is signed in, as the API says (me): the menu and the route guard read its permissions. */
export const me = reactive<{ value: MeQuery['me'] | null }>({ value: null });

export async function loadMe(): Promise<void> {
  const r = await client.query(MeDocument, {}).toPromise();
  if (r.error) throw r.error;
  me.value = r.data?.me ?? null;
}

export function can(permission: string | undefined): boolean {
  return permission === undefined || (me.value?.permissions.includes(permission) ?? false);
}
