// UnderstudyCertificates: the cluster's own certificate authority (`understudy init`) and each node's identity.
// Every peer connection is mutual TLS with this CA (rule 3). The cluster key that authenticates heartbeats
// (HMAC-SHA256) is made beside the CA. Files get exact permissions, and loading says which file is wrong and how.
