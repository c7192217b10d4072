/*
 * list_keys.c - print the config parser's own key table, one key a line:
 *   section<TAB>name<TAB>numeric<TAB>min<TAB>max
 * check_keys.py compares it with sipalgd.conf(5) and the shipped config.
 */
#include <stdio.h>

#include "config.h"

int main(void)
{
	struct config_key_info k;

	for (size_t i = 0; config_key_info(i, &k); i++)
		printf("%s\t%s\t%d\t%lu\t%lu\n", k.section, k.name, k.numeric, k.min, k.max);
	return 0;
}
