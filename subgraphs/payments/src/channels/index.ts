export * from './alipay';
export * from './wechatpay';
export * from './resilient';
