export * from './alipay';
export * from './wechatpay';
export * from './resilient';
export * from './alipay-bill';
