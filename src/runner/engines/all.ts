// Loads every engine module and registers it (engine modules have no import side effects).
import { cockroachdb } from './cockroachdb.js';
import { registerEngine } from './index.js';
import { mysql } from './mysql.js';
import { redis } from './redis.js';

for (const engine of [mysql, redis, cockroachdb]) registerEngine(engine);
