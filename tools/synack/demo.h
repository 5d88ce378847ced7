/* synack demo: an echo exchange between two stacks, drawn as a ladder. */
#ifndef SYNACK_TOOL_DEMO_H
#define SYNACK_TOOL_DEMO_H

/* argv[0] is "demo". Returns the exit status (0, 1 failed, 2 usage). */
int demo_main(int argc, char **argv);

#endif
