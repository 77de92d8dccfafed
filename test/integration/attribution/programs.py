# Test programs for attribution.test.ts, run under a symlinked name (the name becomes the
# process's comm, as ss and /proc show it). Each prints its PID, then its local port once it
# has one (clients and the UDP sender), then talks.
import os, socket, sys, time

role = sys.argv[1]
print(os.getpid(), flush=True)

def connect(family, host, port, seconds):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect((host, port))
    print(s.getsockname()[1], flush=True)
    for _ in range(5):
        s.sendall(b'x' * 200)
        time.sleep(seconds / 5)
    s.close()

if role == 'server':  # echo server; serves until killed
    family = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((sys.argv[2], int(sys.argv[3])))
    srv.listen(8)
    while True:
        c, _ = srv.accept()
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(d)
        except ConnectionResetError:  # clients close with echoes unread
            pass
        c.close()
elif role == 'client':  # TCP client: host port seconds
    family = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET
    connect(family, sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    time.sleep(float(sys.argv[5]) if len(sys.argv) > 5 else 0)
elif role == 'udp':  # unconnected UDP sender: host port count
    family = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    for i in range(int(sys.argv[4])):
        s.sendto(b'y' * 100, (sys.argv[2], int(sys.argv[3])))
        if i == 0:
            print(s.getsockname()[1], flush=True)
        time.sleep(0.2)
    time.sleep(1)
