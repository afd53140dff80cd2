import { createI18n } from 'vue-i18n';

const zhCN = {
  app: { title: '充电运营控制台', language: 'English', signOut: '退出登录' },
  signIn: {
    title: '登录',
    tenantCode: '租户代码',
    username: '用户名',
    password: '密码',
    submit: '登录',
    required: '请填写此项',
    failed: '登录失败：{code}',
  },
  menu: { dashboard: '总览', stations: '充电站' },
  dashboard: {
    title: '总览',
    online: '在线充电桩',
    charging: '充电中',
    faulted: '故障',
    of: '共 {total} 台',
    live: '实时（订阅 connectorStatusChanged）',
  },
  stations: {
    title: '充电站',
    code: '编号',
    name: '名称',
    address: '地址',
    status: '状态',
    chargers: '在线 / 总数',
    total: '共 {n} 个充电站',
    more: '加载更多',
  },
  forbidden: '您没有可访问的页面',
};

const en: typeof zhCN = {
  app: { title: 'Charging operations console', language: '中文', signOut: 'Sign out' },
  signIn: {
    title: 'Sign in',
    tenantCode: 'Tenant code',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    required: 'Required',
    failed: 'Sign-in failed: {code}',
  },
  menu: { dashboard: 'Dashboard', stations: 'Stations' },
  dashboard: {
    title: 'Dashboard',
    online: 'Chargers online',
    charging: 'Charging',
    faulted: 'Faulted',
    of: 'of {total}',
    live: 'Live (connectorStatusChanged subscription)',
  },
  stations: {
    title: 'Stations',
    code: 'Code',
    name: 'Name',
    address: 'Address',
    status: 'Status',
    chargers: 'Online / total',
    total: '{n} stations',
    more: 'Load more',
  },
  forbidden: 'There is nothing here you may see',
};

export type Locale = 'zh-CN' | 'en';

/** zh-CN by default; English on request (the choice is not stored). */
export const i18n = createI18n({ legacy: false, locale: 'zh-CN', fallbackLocale: 'en', messages: { 'zh-CN': zhCN, en } });
