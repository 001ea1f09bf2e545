// UnderstudyDelta: block signatures and deltas (CBlockDelta), librsync's patch and zstd, wrapped as streaming jobs
// over memory and file descriptors. The jobs know nothing of the wire or of shares; Replication decides when a delta pays
// (large files with a signature on the standby) and FileSystem applies patches into temporaries.
