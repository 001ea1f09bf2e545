// UnderstudyChangeCapture: the kernel's view of changes in a tree, behind one protocol (ChangeWatcher) with two
// backends that pass one conformance suite. FanotifyWatcher puts one mark on the share's whole file system and
// finds each event's path from its directory's file handle; InotifyWatcher keeps a watch on every kept directory
// (WatchTable). Both read events on a thread of their own and hand them on as paths; a queue overflow or a missing
// watch is reported, never hidden, so the caller can compare by a stat walk instead. ChangeWatchers picks one by
// the node's `change_capture`. The pure aggregation of events into batches is Core's ChangeAggregator;
// Replication's ShareCapture joins the two.
