/* First light: a passive and an active open reach ESTABLISHED. */
#include "scenario.h"

static void passive_open__three_way_handshake__established(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_passive_established(t, NULL);
	assert_true(fd >= 0);
	scn_free(t);
}

static void active_open__three_way_handshake__established(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = fx_active_established(t, NULL);
	assert_true(fd >= 0);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passive_open__three_way_handshake__established),
		cmocka_unit_test(active_open__three_way_handshake__established),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
