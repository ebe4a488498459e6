import { GraphQLError } from 'graphql';
import { createFormatError } from '../src/errors/formatError';
import { createLogger } from '../src/logger';

describe('formatError', () => {
  it('answers text PostgreSQL cannot store (22021) as BAD_USER_INPUT, logged as a warning only', () => {
    const logger = createLogger('test', 'silent');
    const warn = jest.spyOn(logger, 'warn');
    const error = jest.spyOn(logger, 'error');
    const driverError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const wrapped = Object.assign(new Error('insert failed'), { previous: driverError });
    const thrown = new GraphQLError('insert failed', { path: ['createListing'], originalError: wrapped });
    const formatted = createFormatError(logger)({ message: 'insert failed', path: ['createListing'] }, thrown);
    expect(formatted.extensions?.code).toBe('BAD_USER_INPUT');
    expect(formatted.path).toEqual(['createListing']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(error).not.toHaveBeenCalled();
  });
});
