/*
 * pse-tool: `ethtool --show-pse DEV` and `ethtool --set-pse DEV podl-pse-admin-control enable|disable`
 * for the mdio-emu QEMU guest, whose Debian 12 ethtool (6.1) predates those options (ethtool 6.2).
 *
 * Speaks the ethtool generic netlink family directly (include/uapi/linux/ethtool_netlink.h, Linux 6.1):
 * ETHTOOL_MSG_PSE_GET answered by ETHTOOL_MSG_PSE_GET_REPLY carrying ETHTOOL_A_PODL_PSE_ADMIN_STATE and
 * ETHTOOL_A_PODL_PSE_PW_D_STATUS (net/ethtool/pse-pd.c), and ETHTOOL_MSG_PSE_SET carrying
 * ETHTOOL_A_PODL_PSE_ADMIN_CONTROL. Output and messages follow ethtool 6.2+'s netlink/pse-pd.c, so
 * scenarios read the same text a newer ethtool prints. Built static for arm64 by build.sh; no libmnl.
 *
 * Usage: pse-tool --show-pse DEV
 *        pse-tool --set-pse DEV podl-pse-admin-control enable|disable
 * Exit: 0 on success, 1 on a usage error, 83 when the kernel rejects the request (what ethtool's nl_spse
 * returns then); errors print "netlink error: <extack message>" and "netlink error: <errno text>".
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ethtool returns these from its netlink handlers (netlink/pse-pd.c nl_spse: 83 when the reply is an error). */
#define EXIT_USAGE 1
#define EXIT_NETLINK 83

struct msg {
	char buf[1024];
	size_t len;
};

static struct nlattr *attr_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(a->nla_len);
	return a;
}

static void msg_start(struct msg *m, uint16_t family, uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	memset(m->buf, 0, sizeof(m->buf));
	h->nlmsg_type = family;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = 1;
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* ETHTOOL_A_*_HEADER nest with the device name (net/ethtool/netlink.c ethnl_parse_header_dev_get). */
static void put_header(struct msg *m, uint16_t type, const char *dev)
{
	struct nlattr *nest = attr_put(m, type | NLA_F_NESTED, NULL, 0);
	attr_put(m, ETHTOOL_A_HEADER_DEV_NAME, dev, strlen(dev) + 1);
	nest->nla_len = (uint16_t)((m->buf + m->len) - (char *)nest);
}

static int send_msg(int fd, struct msg *m)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	((struct nlmsghdr *)m->buf)->nlmsg_len = (uint32_t)m->len;
	return sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ? -errno : 0;
}

/* Walks attributes in [start, end) into tb[0..max]. */
static void parse_attrs(const char *start, const char *end, const struct nlattr **tb, int max)
{
	while (start + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)start;
		int type = a->nla_type & NLA_TYPE_MASK;
		if (a->nla_len < NLA_HDRLEN || start + a->nla_len > end)
			break;
		if (type <= max)
			tb[type] = a;
		start += NLA_ALIGN(a->nla_len);
	}
}

static uint32_t attr_u32(const struct nlattr *a)
{
	uint32_t v;
	memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

/*
 * An NLMSG_ERROR: print the extended ack message as ethtool does ("netlink error: <msg>"), then the errno
 * text. Returns the (negative) error, or 0 for a plain ack.
 */
static int report_error(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	if (e->error == 0)
		return 0;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
		size_t offset = sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			offset += e->msg.nlmsg_len - NLMSG_HDRLEN;
		parse_attrs((const char *)e + offset, (const char *)h + h->nlmsg_len, tb, NLMSGERR_ATTR_MAX);
		if (tb[NLMSGERR_ATTR_MSG])
			fprintf(stderr, "netlink error: %s\n", (const char *)tb[NLMSGERR_ATTR_MSG] + NLA_HDRLEN);
	}
	fprintf(stderr, "netlink error: %s\n", strerror(-e->error));
	return e->error;
}

typedef int (*reply_fn)(const struct nlmsghdr *h, void *data);

/* Reads replies until the ack (or an error) for our request; calls on_reply for each data message. */
static int receive(int fd, reply_fn on_reply, void *data)
{
	char buf[8192];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR)
				return report_error(h);
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (on_reply) {
				int rc = on_reply(h, data);
				if (rc)
					return rc;
			}
		}
	}
}

static int family_reply(const struct nlmsghdr *h, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
	parse_attrs(p, (const char *)h + h->nlmsg_len, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID])
		memcpy(data, (const char *)tb[CTRL_ATTR_FAMILY_ID] + NLA_HDRLEN, sizeof(uint16_t));
	return 0;
}

/* Resolves the "ethtool" generic netlink family id (CTRL_CMD_GETFAMILY). */
static int ethtool_family(int fd, uint16_t *id)
{
	struct msg m;
	int rc;
	*id = 0;
	msg_start(&m, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	attr_put(&m, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME, sizeof(ETHTOOL_GENL_NAME));
	rc = send_msg(fd, &m);
	if (!rc)
		rc = receive(fd, family_reply, id);
	if (!rc && !*id) {
		fprintf(stderr, "netlink error: ethtool netlink family not found (CONFIG_ETHTOOL_NETLINK)\n");
		rc = -ENOENT;
	}
	return rc;
}

/* ethtool netlink/pse-pd.c podl_pse_admin_state_name / podl_pse_pw_d_status_name. */
static const char *admin_state_name(uint32_t v)
{
	switch (v) {
	case ETHTOOL_PODL_PSE_ADMIN_STATE_UNKNOWN: return "unknown";
	case ETHTOOL_PODL_PSE_ADMIN_STATE_DISABLED: return "disabled";
	case ETHTOOL_PODL_PSE_ADMIN_STATE_ENABLED: return "enabled";
	default: return "unsupported";
	}
}

static const char *pw_d_status_name(uint32_t v)
{
	switch (v) {
	case ETHTOOL_PODL_PSE_PW_D_STATUS_UNKNOWN: return "unknown";
	case ETHTOOL_PODL_PSE_PW_D_STATUS_DISABLED: return "disabled";
	case ETHTOOL_PODL_PSE_PW_D_STATUS_SEARCHING: return "searching";
	case ETHTOOL_PODL_PSE_PW_D_STATUS_DELIVERING: return "delivering power";
	case ETHTOOL_PODL_PSE_PW_D_STATUS_SLEEP: return "sleep";
	case ETHTOOL_PODL_PSE_PW_D_STATUS_IDLE: return "idle";
	case ETHTOOL_PODL_PSE_PW_D_STATUS_ERROR: return "error";
	default: return "unsupported";
	}
}

static int pse_reply(const struct nlmsghdr *h, void *data)
{
	const struct nlattr *tb[ETHTOOL_A_PSE_MAX + 1] = { 0 };
	const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
	const char *dev = data;
	parse_attrs(p, (const char *)h + h->nlmsg_len, tb, ETHTOOL_A_PSE_MAX);
	if (tb[ETHTOOL_A_PSE_HEADER]) {
		const struct nlattr *hdr[ETHTOOL_A_HEADER_MAX + 1] = { 0 };
		const char *nest = (const char *)tb[ETHTOOL_A_PSE_HEADER];
		parse_attrs(nest + NLA_HDRLEN, nest + tb[ETHTOOL_A_PSE_HEADER]->nla_len, hdr, ETHTOOL_A_HEADER_MAX);
		if (hdr[ETHTOOL_A_HEADER_DEV_NAME])
			dev = (const char *)hdr[ETHTOOL_A_HEADER_DEV_NAME] + NLA_HDRLEN;
	}
	printf("PSE attributes for %s:\n", dev);
	if (tb[ETHTOOL_A_PODL_PSE_ADMIN_STATE])
		printf("PoDL PSE Admin State: %s\n", admin_state_name(attr_u32(tb[ETHTOOL_A_PODL_PSE_ADMIN_STATE])));
	if (tb[ETHTOOL_A_PODL_PSE_PW_D_STATUS])
		printf("PoDL PSE Power Detection Status: %s\n", pw_d_status_name(attr_u32(tb[ETHTOOL_A_PODL_PSE_PW_D_STATUS])));
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: pse-tool --show-pse DEVNAME\n"
		"       pse-tool --set-pse DEVNAME podl-pse-admin-control enable|disable\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int one = 1;
	uint16_t family;
	struct msg m;
	int fd, rc;

	if (argc < 3)
		return usage();
	const char *cmd = argv[1], *dev = argv[2];
	int show = strcmp(cmd, "--show-pse") == 0;
	if (!show && strcmp(cmd, "--set-pse") != 0)
		return usage();
	if (show && argc > 3) {
		fprintf(stderr, "ethtool: unexpected parameter '%s'\n", argv[3]);
		return EXIT_USAGE;
	}
	uint32_t control = 0;
	if (!show) {
		if (argc < 4) {
			fprintf(stderr, "ethtool (--set-pse): parameters missing\n");
			return EXIT_USAGE;
		}
		if (strcmp(argv[3], "podl-pse-admin-control") != 0) {
			fprintf(stderr, "ethtool (--set-pse): unknown parameter '%s'\n", argv[3]);
			return EXIT_USAGE;
		}
		if (argc < 5) {
			fprintf(stderr, "ethtool (--set-pse): no value for parameter '%s'\n", argv[3]);
			return EXIT_USAGE;
		}
		if (strcmp(argv[4], "enable") == 0)
			control = ETHTOOL_PODL_PSE_ADMIN_STATE_ENABLED;
		else if (strcmp(argv[4], "disable") == 0)
			control = ETHTOOL_PODL_PSE_ADMIN_STATE_DISABLED;
		else {
			fprintf(stderr, "ethtool (--set-pse): invalid value '%s' for parameter '%s'\n", argv[4], argv[3]);
			return EXIT_USAGE;
		}
		if (argc > 5) {
			fprintf(stderr, "ethtool (--set-pse): unknown parameter '%s'\n", argv[5]);
			return EXIT_USAGE;
		}
	}

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("pse-tool: netlink socket");
		return EXIT_NETLINK;
	}
	/* Extended acks carry the kernel's reason ("No PSE is attached", "no device matches name"). */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	rc = ethtool_family(fd, &family);
	if (rc)
		return EXIT_NETLINK;

	if (show) {
		msg_start(&m, family, NLM_F_ACK, ETHTOOL_MSG_PSE_GET, ETHTOOL_GENL_VERSION);
		put_header(&m, ETHTOOL_A_PSE_HEADER, dev);
		rc = send_msg(fd, &m);
		if (!rc)
			rc = receive(fd, pse_reply, (void *)dev);
	} else {
		msg_start(&m, family, NLM_F_ACK, ETHTOOL_MSG_PSE_SET, ETHTOOL_GENL_VERSION);
		put_header(&m, ETHTOOL_A_PSE_HEADER, dev);
		attr_put(&m, ETHTOOL_A_PODL_PSE_ADMIN_CONTROL, &control, sizeof(control));
		rc = send_msg(fd, &m);
		if (!rc)
			rc = receive(fd, NULL, NULL);
	}
	close(fd);
	return rc ? EXIT_NETLINK : 0;
}
