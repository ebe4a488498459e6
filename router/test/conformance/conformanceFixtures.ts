import type { ConformanceFixture } from './conformanceCase';
import { abstractTypesFixture } from './fixtures/abstractTypes';
import { aliasedKeysFixture } from './fixtures/aliasedKeys';
import { contextArgumentsFixture } from './fixtures/contextArguments';
import { interfaceObjectFixture } from './fixtures/interfaceObject';
import { mutationsFixture } from './fixtures/mutations';
import { nullsBesideFetchErrorsFixture } from './fixtures/nullsBesideFetchErrors';
import { productsFixture } from './fixtures/products';
import { requiresArgumentsFixture } from './fixtures/requiresArguments';

/** Every fixture of the differential suite: run on both executors, and with Hive's planner. */
export const conformanceFixtures: readonly ConformanceFixture[] = [
  productsFixture,
  interfaceObjectFixture,
  abstractTypesFixture,
  mutationsFixture,
  nullsBesideFetchErrorsFixture,
  requiresArgumentsFixture,
  contextArgumentsFixture,
  aliasedKeysFixture,
];
