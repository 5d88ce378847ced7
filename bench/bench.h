/* synack bench: figures, not timed tests. */
#ifndef SYNACK_BENCH_H
#define SYNACK_BENCH_H

/* argv[0] is "bench". Returns the exit status (0, 1 failed, 2 usage). */
int bench_main(int argc, char **argv);

#endif
