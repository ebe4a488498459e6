export { findFreePort } from '../../../infra/local/ports';
