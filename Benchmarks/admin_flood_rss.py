"""RSS of `sluice serve` under 20 unauthenticated connections each sending most of a
16 MiB body to the admin port (issue 11, item 4). Usage: python3 Benchmarks/admin_flood_rss.py PATH/TO/sluice"""
import os, socket, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]
work = tempfile.mkdtemp(prefix="sluice-rss-")
with open(os.path.join(work, "sluice.yaml"), "w") as f:
    f.write("serve:\n  listen: 127.0.0.1:0\n  admin:\n    listen: 127.0.0.1:0\n  stateDirectory: state\nruntimes: {}\n")
proc = subprocess.Popen([binary, "serve", "--config", os.path.join(work, "sluice.yaml")], cwd=work,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
line = proc.stdout.readline()
admin_port = int(line.strip().rsplit(":", 1)[1])

def rss():
    fields = dict(l.split(":", 1) for l in open(f"/proc/{proc.pid}/status"))
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024

time.sleep(0.5)
print("idle RSS MiB", rss()[0])
size = 16 << 20
chunk = b"x" * (1 << 20)
results = []
def attacker(i):
    s = socket.create_connection(("127.0.0.1", admin_port))
    s.settimeout(30)
    sent = 0
    try:
        s.sendall(f"PUT /v1/spec HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
        while sent < size - (1 << 20):
            s.sendall(chunk)
            sent += len(chunk)
        results.append((i, "sent %d MiB, still open" % (sent >> 20), s))
    except OSError as e:
        results.append((i, "refused after %d MiB: %s" % (sent >> 20, type(e).__name__), s))
threads = [threading.Thread(target=attacker, args=(i,)) for i in range(20)]
start = time.time()
for t in threads: t.start()
for t in threads: t.join(60)
time.sleep(1)
now, peak = rss()
print("after attack: RSS MiB", now, "peak MiB", peak, "in %.1f s" % (time.time() - start))
outcomes = {}
for _, outcome, _ in results: outcomes[outcome.split(":")[0]] = outcomes.get(outcome.split(":")[0], 0) + 1
print("attackers:", outcomes)
time.sleep(12)
print("12 s later: RSS MiB", rss()[0])
proc.terminate(); proc.wait()
