/**
 * Router settings with every operation limit and the cost limit off: for tests of the
 * defences behind them (the subgraphs' work budget, the authorizer's linearity), which must
 * hold even where a deployment switches the limits off.
 */
export const OPERATION_LIMITS_OFF: Readonly<Record<string, string>> = {
  MAX_OPERATION_DEPTH: 'off',
  MAX_OPERATION_ALIASES: 'off',
  MAX_ROOT_FIELDS: 'off',
  MAX_OPERATION_HEIGHT: 'off',
  MAX_DIRECTIVES_PER_FIELD: 'off',
  MAX_OPERATION_COST: 'off',
};
