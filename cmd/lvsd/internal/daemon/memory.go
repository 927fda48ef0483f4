package daemon

import "runtime/debug"

// releaseMemory returns the heap left free after a configuration was
// loaded and applied to the OS at once, rather than through the runtime's
// background scavenger over minutes: parsing a large file allocates several
// times what stays live (1,000 x 10: about 20 MB live, 40-70 MB of heap
// right after the start or a reload). It costs one garbage collection.
func releaseMemory() { debug.FreeOSMemory() }
