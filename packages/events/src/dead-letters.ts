/**
 * Messages consumers could never apply, as they were received (key, value, headers kept), with
 * why in `dead-letter-*` headers (consumer, reason code and message, the source topic, partition
 * and offset, the dead letter's id in the consuming service). Published by the platform's
 * dead-letter recorder; each consuming service also keeps them in its `dead_letters` table,
 * where they are listed and replayed (docs/reliability.md, "Poison events"). No schema of its
 * own: the value is whatever the source topic carried.
 */
export const DEAD_LETTERS_TOPIC = 'evcs.dead-letters.v1';
export const DEAD_LETTERS_PARTITIONS = 3;
