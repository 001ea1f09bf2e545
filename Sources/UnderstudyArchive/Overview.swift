// UnderstudyArchive: point-in-time archives and the history of every file, on the standby. ArchiveService runs
// the schedule (taking archives between two syncs under the replica gate), retention, history expiry and
// restores; ArchiveStore is one share's archive directory; HistoryKeeper links each replaced version into the
// history before the mirror replaces it (as the mirror's ShareHistory); TrashRemover deletes a little at a
// time. A crash mid-archive is finished at the next start, never left half-made.
