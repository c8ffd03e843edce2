/* hare.h — everything an application includes. */
#ifndef HARE_H
#define HARE_H

#include "hare_config.h"
#include "hare_stats.h"
#include "hare_worker.h"

#endif
