import { describe, expect, it } from 'vitest';
import { usePager, type PageArgs } from '../src/paging';
import { childTypes, grantable, problemText, tenantTree } from '../src/views/admin/shared';

describe('admin screens: shared logic', () => {
  it('shows each expected failure with its code, field and message', () => {
    expect(
      problemText([
        { code: 'DUPLICATE', field: 'username', message: 'A user with this username exists' },
        { code: 'QUOTA_EXCEEDED', field: null, message: "The tenant's user quota (2) is used up" },
      ]),
    ).toBe("DUPLICATE (username): A user with this username exists; QUOTA_EXCEEDED: The tenant's user quota (2) is used up");
  });

  it('builds the tenant tree, children by code, and offers only the child types the hierarchy allows', () => {
    const tree = tenantTree({
      id: 'p',
      code: 'platform',
      name: 'Platform',
      type: 'PLATFORM',
      status: 'ACTIVE',
      children: [
        { id: 'b', code: 'op-b', name: 'B', type: 'OPERATOR', status: 'SUSPENDED', children: [] },
        {
          id: 'a',
          code: 'op-a',
          name: 'A',
          type: 'OPERATOR',
          status: 'ACTIVE',
          children: [{ id: 'a1', code: 'pa-1', name: 'A1', type: 'PARTNER', status: 'ACTIVE' }],
        },
      ],
    });
    expect(tree.label).toBe('Platform (platform)');
    expect(tree.children.map((c) => c.id)).toEqual(['a', 'b']);
    expect(tree.children[0].children).toEqual([{ id: 'a1', label: 'A1 (pa-1)', type: 'PARTNER', status: 'ACTIVE', children: [] }]);
    expect([childTypes('PLATFORM'), childTypes('OPERATOR'), childTypes('PARTNER')]).toEqual([['OPERATOR', 'PARTNER'], ['PARTNER'], []]);
  });

  it('offers only the roles whose every permission the caller holds', () => {
    const roles = [
      { code: 'VIEWER', permissions: ['station:read', 'user:read'] },
      { code: 'SUPER_ADMIN', permissions: ['station:read', 'payment:refund'] },
      { code: 'EMPTY', permissions: [] },
    ];
    expect(grantable(roles, ['station:read', 'user:read', 'user:write']).map((r) => r.code)).toEqual(['VIEWER', 'EMPTY']);
  });

  it('pages forwards from endCursor and backwards from startCursor, keeping the rows when a page fails', async () => {
    const asked: PageArgs[] = [];
    let fail = false;
    const pager = usePager<number>(2, async (page) => {
      asked.push(page);
      if (fail) return 'NETWORK';
      return {
        rows: [asked.length],
        pageInfo: { hasNextPage: true, hasPreviousPage: asked.length > 1, startCursor: `s${asked.length}`, endCursor: `e${asked.length}` },
      };
    });
    await pager.load();
    expect([pager.hasPrev.value, pager.hasNext.value]).toEqual([false, true]);
    await pager.next();
    await pager.prev();
    expect(asked).toEqual([
      { first: 2, after: null },
      { first: 2, after: 'e1' },
      { last: 2, before: 's2' },
    ]);
    fail = true;
    await pager.load();
    expect(asked[3]).toEqual({ last: 2, before: 's2' });
    expect([pager.error.value, pager.rows.value, pager.loading.value]).toEqual(['NETWORK', [3], false]);
    await pager.restart();
    expect(asked[4]).toEqual({ first: 2, after: null });
  });
});
