export * from './requestWork';
export * from './countResolvedFields';
export * from './requestWorkPlugin';
