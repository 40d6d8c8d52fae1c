#ifndef PINMUX_H
#define PINMUX_H
#include <dt-bindings/test/gpio.h>
#define PIN(bank, n)	(((bank) << 8) | (n))
#define MUX(pin, func) \
	((pin) << 4 | \
	 (func))
#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define STR(x) #x
#define XSTR(x) STR(x)
#define EMPTY
#define VA(fmt, ...) fmt, ##__VA_ARGS__
#endif
