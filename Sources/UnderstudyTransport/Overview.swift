// UnderstudyTransport: connections between members of the cluster. PeerTransport listens and connects with
// mutual TLS 1.3 (PeerTLS), PeerIdentityHandler checks that the other side is the node it claims to be and
// refuses (and logs, rate-limited) everyone else; frames are PeerMessages (UnderstudyWire). FrameWriter batches
// writes, PeerInbox is the standby's bounded queue that lets notices overtake sync traffic, and
// BandwidthThrottle holds a group to its configured rate.
