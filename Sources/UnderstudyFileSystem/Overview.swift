// UnderstudyFileSystem: a share's tree on disk, reached only through ShareDirectory (descriptor-relative calls
// below the root, so no path from the wire can leave it: rule 2). TreeScanner builds manifests (with the file
// index to skip unchanged files); ReplicaWriter applies a sync atomically (temporary sibling, fsync, rename,
// directory fsync: rule 1), batching fsyncs in BatchFlusher and keeping replaced versions through the
// ReplacedVersionKeeper protocol. TemporarySweeper removes what a crash left, ReplicaAdoption guards a replica
// that already held files, and TreeCloner clones trees for archives (reflink, hard link or copy).
