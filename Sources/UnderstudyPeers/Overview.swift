// UnderstudyPeers: a node's peer sessions per group. PrimaryService listens for the peer and serves it while this
// node holds the group (live notices, syncs, the serving side of a rejoin, switchovers the peer asks for through a
// SwitchoverDesk); StandbyGroupService follows the holder over the best path (a LinkViewSource tells how each link
// is doing), rejoining first when this tree was the live data; GroupRoles moves a group between the two as its
// holder changes, and moves its change capture with it. They take the node as ServingNode / FollowingNode, which the
// composition root (Node) provides; they know nothing of the failover or control parts.
