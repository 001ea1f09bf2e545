// UnderstudyNode: the composition root. NodeDaemon builds the parts of a node from the configuration and runs them
// as Services of one group; NodeRuntime holds the node's named parts and gives each module the narrow protocol it
// declared of the node (NodeRuntime+Parts, PartSeams). The peer sessions themselves are UnderstudyPeers'.
