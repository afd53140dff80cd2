export * from './common';
export * from './alipay';
export * from './wechatpay';
export * from './dev';
export * from './alipay-bill';
export * from './wechatpay-certificates';
