/*
 * mdio-emu-dtc and mdio-emu-fdtoverlay for build systems that start the compiler once per file (kbuild's
 * $(DTC)): a native client of the warm tool server (cli/tool-server.ts). Starting Node costs about ten dtc
 * runs before anything is compiled; this program starts in about a millisecond, hands its command line and
 * working directory to a Node process that stays up between files, and replays the output and exit status.
 *
 * One server per CPU ("slot"), so make -jN compiles N files at once: a client takes the first slot whose
 * lock it can hold, or waits for one. When the slot's server is not running, the client starts it in the
 * background (it exits after MDIO_EMU_TOOL_SERVER_IDLE seconds without work, default 30) and runs this file
 * in its own Node process, as it also does when the server cannot take the command line (stdin input) or
 * when MDIO_EMU_TOOL_SERVER=0. Output and exit status are the same either way. MDIO_EMU_TOOL_SERVER=require
 * waits for the server instead of running in-process (tests use it to know which path ran).
 *
 * Built by scripts/build.ts with Node's path and the build's key compiled in:
 *   cc -O2 -DMDIO_EMU_NODE=... -DMDIO_EMU_KEY=... -o dist/tools/mdio-emu-dtc dtc-client.c
 * The package's root is found from the program's own place (dist/tools/ under it), so a package built in
 * one folder and installed in another works; a Node that is not where the build found it is looked for on
 * PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROTOCOL "mdio-emu-tool 1"
#define MAX_SLOTS 16

enum { FRAME_EXIT = 0, FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_FALLBACK = 3 };

static char root[PATH_MAX];
static const char *node = MDIO_EMU_NODE;

/* The package root: two folders above this program (dist/tools/mdio-emu-dtc), symlinks resolved. */
static void find_root(void) {
	ssize_t n = readlink("/proc/self/exe", root, sizeof root - 1);
	if (n <= 0) {
		fprintf(stderr, "mdio-emu-dtc: cannot find its own path: %s\n", strerror(errno));
		exit(70);
	}
	root[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(root, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	if (access(node, X_OK) != 0)
		node = "node";
}

static const char *tool_name(const char *argv0) {
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	return strstr(base, "fdtoverlay") ? "fdtoverlay" : "dtc";
}

/* The tool in a Node process of its own: the path every failure of the fast path falls back to. */
static void run_in_process(const char *tool, int argc, char **argv) {
	char script[PATH_MAX];
	snprintf(script, sizeof script, "%s/dist/tools/%s.cjs", root, tool);
	char **args = calloc((size_t)argc + 2, sizeof *args);
	if (!args)
		exit(70);
	args[0] = (char *)node;
	args[1] = script;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execvp(node, args);
	fprintf(stderr, "mdio-emu-%s: cannot run %s: %s\n", tool, node, strerror(errno));
	exit(70);
}

/* A private directory for the sockets: $XDG_RUNTIME_DIR/mdio-emu, else /tmp/mdio-emu-UID; 0 if unsafe. */
static int socket_dir(char *dir, size_t size) {
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	if (runtime && *runtime)
		snprintf(dir, size, "%s/mdio-emu", runtime);
	else
		snprintf(dir, size, "/tmp/mdio-emu-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return 0;
	struct stat st;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return 0;
	return 1;
}

/* Holds one slot's lock (released when this process ends) and returns its number. */
static int take_slot(const char *dir) {
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int slots = cpus < 1 ? 1 : cpus > MAX_SLOTS ? MAX_SLOTS : (int)cpus;
	int fds[MAX_SLOTS];
	char path[PATH_MAX];
	for (int i = 0; i < slots; i++) {
		snprintf(path, sizeof path, "%s/%s-%d.lock", dir, MDIO_EMU_KEY, i);
		fds[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fds[i] >= 0 && flock(fds[i], LOCK_EX | LOCK_NB) == 0) {
			for (int j = 0; j < i; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			return i;
		}
	}
	int slot = (int)(getpid() % slots);
	if (fds[slot] >= 0)
		flock(fds[slot], LOCK_EX);
	for (int j = 0; j < slots; j++)
		if (j != slot && fds[j] >= 0)
			close(fds[j]);
	return slot;
}

/* Starts the slot's server, detached (its own session, no terminal, not our child), without waiting. */
static void start_server(const char *sock) {
	pid_t child = fork();
	if (child < 0)
		return;
	if (child == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		char script[PATH_MAX];
		snprintf(script, sizeof script, "%s/dist/tools/tool-server.cjs", root);
		const char *idle = getenv("MDIO_EMU_TOOL_SERVER_IDLE");
		execlp(node, node, script, sock, idle && *idle ? idle : "30", (char *)NULL);
		_exit(127);
	}
	waitpid(child, NULL, 0);
}

static int write_all(int fd, const void *data, size_t length) {
	const char *p = data;
	while (length > 0) {
		ssize_t n = write(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		length -= (size_t)n;
	}
	return 1;
}

static int read_all(int fd, void *data, size_t length) {
	char *p = data;
	while (length > 0) {
		ssize_t n = read(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		length -= (size_t)n;
	}
	return 1;
}

static uint32_t le32(const unsigned char *b) {
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The request: a u32 LE length, then NUL-terminated protocol, tool, working directory and arguments. */
static int send_request(int fd, const char *tool, int argc, char **argv) {
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return 0;
	size_t length = strlen(PROTOCOL) + 1 + strlen(tool) + 1 + strlen(cwd) + 1;
	for (int i = 1; i < argc; i++)
		length += strlen(argv[i]) + 1;
	if (length > (1u << 20))
		return 0;
	char *buf = malloc(length + 4);
	if (!buf)
		return 0;
	buf[0] = (char)(length & 0xff);
	buf[1] = (char)(length >> 8 & 0xff);
	buf[2] = (char)(length >> 16 & 0xff);
	buf[3] = (char)(length >> 24 & 0xff);
	char *p = buf + 4;
	const char *fields[3] = {PROTOCOL, tool, cwd};
	for (int i = 0; i < 3; i++)
		p = stpcpy(p, fields[i]) + 1;
	for (int i = 1; i < argc; i++)
		p = stpcpy(p, argv[i]) + 1;
	int ok = write_all(fd, buf, length + 4);
	free(buf);
	return ok;
}

int main(int argc, char **argv) {
	const char *tool = tool_name(argv[0]);
	find_root();
	const char *use = getenv("MDIO_EMU_TOOL_SERVER");
	if (use && strcmp(use, "0") == 0)
		run_in_process(tool, argc, argv);
	char dir[PATH_MAX - 64];
	if (!socket_dir(dir, sizeof dir))
		run_in_process(tool, argc, argv);
	int slot = take_slot(dir);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if ((size_t)snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s-%d.sock", dir, MDIO_EMU_KEY, slot) >=
	    sizeof addr.sun_path)
		run_in_process(tool, argc, argv);
	int require = use && strcmp(use, "require") == 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		run_in_process(tool, argc, argv);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		start_server(addr.sun_path);
		if (!require)
			run_in_process(tool, argc, argv);
		/* Up to 20 s for the server to listen. */
		int connected = 0;
		for (int i = 0; i < 400 && !connected; i++) {
			usleep(50000);
			close(fd);
			fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			connected = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
		}
		if (!connected) {
			fprintf(stderr, "mdio-emu-%s: the tool server did not start (%s)\n", tool, addr.sun_path);
			return 70;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (!send_request(fd, tool, argc, argv))
		run_in_process(tool, argc, argv);
	int frames = 0;
	for (;;) {
		unsigned char head[5];
		if (!read_all(fd, head, sizeof head)) {
			/* Nothing came back (a server closing as we connected): nothing ran, so run it here. */
			if (frames == 0 && !require)
				run_in_process(tool, argc, argv);
			fprintf(stderr, "mdio-emu-%s: the tool server stopped during the run\n", tool);
			return 70;
		}
		frames++;
		uint32_t length = le32(head + 1);
		if (head[0] == FRAME_FALLBACK)
			run_in_process(tool, argc, argv);
		char *data = malloc(length ? length : 1);
		if (!data || !read_all(fd, data, length)) {
			fprintf(stderr, "mdio-emu-%s: the tool server stopped during the run\n", tool);
			return 70;
		}
		if (head[0] == FRAME_EXIT && length == 4)
			return (int)le32((unsigned char *)data);
		/* A closed stdout or stderr loses that output, as it would for dtc; the status still comes through. */
		write_all(head[0] == FRAME_STDOUT ? 1 : 2, data, length);
		free(data);
	}
}
