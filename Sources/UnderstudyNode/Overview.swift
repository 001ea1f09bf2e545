// UnderstudyNode: the composition root. NodeDaemon builds the parts of a node from the configuration and runs
// them; PrimaryService serves each standby that connects (live notices and syncs), StandbyGroupService
// follows the node that serves a group, and GroupRoles switches between the two when the holder changes.
