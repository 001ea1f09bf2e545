// UnderstudyChangeCapture: the kernel's view of changes in a tree, behind one protocol (ChangeWatcher) with two
// backends that pass one conformance suite. FanotifyHub keeps one fanotify group per mount, marking its whole file
// system, reads each event once and finds its path from its directory's file handle; each share's FanotifyWatcher
// keeps the events in its tree; InotifyWatcher keeps a watch on every kept directory
// (WatchTable). Both read events on a thread of their own and hand them on as paths; a queue overflow or a missing
// watch is reported, never hidden, so the caller can compare by a stat walk instead. ChangeWatchers picks one by
// the node's `change_capture`. The pure aggregation of events into batches is Core's ChangeAggregator;
// Replication's ShareCapture joins the two.
