// UnderstudyState: what a node must not forget across a restart, in one SQLite file per node
// (`<state_dir>/state.sqlite`, WAL with synchronous = FULL), behind `StateDatabase` and plain value records so
// no caller imports GRDB. StateDirectoryLock keeps one daemon per state directory. See StateDatabase.swift for
// the durability argument and StateSchema.swift for migrations.
