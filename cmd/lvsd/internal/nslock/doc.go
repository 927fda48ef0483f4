// Package nslock implements a lock per network namespace: a listening
// Linux abstract unix socket, whose name space is the network namespace's.
// The kernel releases it when its holder exits, however it exits (kill -9
// included), so a lock is never left behind, and a second holder in the same
// namespace learns the holder's pid: the lock answers it on every
// connection (the process holding it now, also after an upgrade handed the
// socket over), else the socket's creator (SO_PEERCRED).
//
// lvsd run takes it so that a second daemon in a namespace is refused: two
// would fight over the same VRIDs, VIPs and IPVS table, and the second would
// read the first one's state file as its own.
package nslock
