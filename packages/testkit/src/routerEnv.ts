// Where the router's tests take it from; defined beside the settings it names.
export { OPERATION_LIMITS_OFF } from '@booking/router';
