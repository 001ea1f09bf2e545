// UnderstudyChangeCapture: the kernel's view of changes in a tree. InotifyWatcher keeps a watch on every kept
// directory (WatchTable), reads events on a thread of its own and hands them on as paths; a queue overflow or
// a missing watch is reported, never hidden, so the caller can compare by a stat walk instead. The pure
// aggregation of events into batches is Core's ChangeAggregator; Replication's ShareCapture joins the two.
