import { isJsonRequestBody, parseMediaType } from '../src/http/mediaType';

describe('parseMediaType', () => {
  it.each([
    ['application/json', 'application/json'],
    ['Application/JSON; Charset="UTF-8"', 'application/json'],
    ['text/plain;charset=application/json', 'text/plain'],
    ['text/plain; application/json', 'text/plain'],
    ['application/x-www-form-urlencoded;x=application/json', 'application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=application/json', 'multipart/form-data'],
    ['  text/plain  ', 'text/plain'],
  ])('%s has the essence %s', (value, essence) => {
    expect(parseMediaType(value)?.essence).toBe(essence);
  });

  it.each(['', 'json', 'application/', '/json', 'application json/x', 'appli(cation/json'])('%j is not a media type', (value) => {
    expect(parseMediaType(value)).toBeUndefined();
  });

  it('reads parameters: names in lower case, quoted values unescaped, malformed ones skipped, the first of a name kept', () => {
    const parsed = parseMediaType('multipart/mixed; BOUNDARY="a;\\"b"; junk; subscriptionSpec=1.0; boundary=second');
    expect(Object.fromEntries(parsed?.parameters ?? [])).toEqual({ boundary: 'a;"b', subscriptionspec: '1.0' });
  });
});

describe('isJsonRequestBody', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['APPLICATION/JSON;charset=UTF8', true],
    ['application/json; charset=utf-16', false],
    ['application/graphql-response+json', false],
    ['text/plain;charset=application/json', false],
    ['text/plain; application/json', false],
    [undefined, false],
  ])('%s → %s', (contentType, expected) => {
    expect(isJsonRequestBody(contentType)).toBe(expected);
  });
});
