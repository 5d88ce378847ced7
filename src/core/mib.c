#include "core/mib.h"

const char *const mib_names[MIB__COUNT] = {
#define MIB_NAME_(id, name) name,
	SYNACK_MIB_LIST(MIB_NAME_)
#undef MIB_NAME_
};
