/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A header in the style of include/dt-bindings: guarded, object-like constants.
 */
#ifndef _DT_BINDINGS_TEST_GPIO_H
#define _DT_BINDINGS_TEST_GPIO_H

#define GPIO_ACTIVE_HIGH 0
#define GPIO_ACTIVE_LOW 1
#define GPIO_OPEN_DRAIN (GPIO_SINGLE_ENDED | GPIO_LINE_OPEN_DRAIN)
#define GPIO_SINGLE_ENDED 2
#define GPIO_LINE_OPEN_DRAIN 4

#endif
