/* The network subcommands' entry points (servers.c, http.c, connect.c,
 * ss.c, nstat.c); each returns the exit status. */
#ifndef SYNACK_TOOL_SERVERS_H
#define SYNACK_TOOL_SERVERS_H

int echo_main(int argc, char **argv);
int discard_main(int argc, char **argv);
int source_main(int argc, char **argv);
int http_main(int argc, char **argv);
int connect_main(int argc, char **argv);
int ss_main(int argc, char **argv);
int nstat_main(int argc, char **argv);

#endif
