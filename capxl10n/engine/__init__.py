"""The sync engine: pull, the state, plan/apply with its journal and recovery, the conflicts inbox."""
