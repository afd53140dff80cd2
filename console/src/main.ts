import { createApp } from 'vue';
import urql from '@urql/vue';
import ElementPlus from 'element-plus';
import 'element-plus/dist/index.css';
import './theme.css';
import App from './App.vue';
import { client } from './client';
import { i18n } from './i18n';
import { router } from './routes';
import { onSignedOut } from './auth/session';
import { me } from './permissions';

onSignedOut(() => {
  me.value = null;
  void router.push({ name: 'sign-in' });
});

createApp(App).use(urql, client).use(i18n).use(ElementPlus).use(router).mount('#app');
