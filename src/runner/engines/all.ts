// Loads every engine module so that each registers itself.
export {};
