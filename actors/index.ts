// Pure XState v5 machines. No I/O, no clock, no randomness: imports `xstate` and `actors/` only.
// Effects are declared by name; their handlers live in src/.
export {};
