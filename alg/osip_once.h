/* osip_once.h - libosip2's parser_init(), once per process (osip_once.c). */
#ifndef ALG_OSIP_ONCE_H
#define ALG_OSIP_ONCE_H

void alg_osip_init_once(void);

#endif
