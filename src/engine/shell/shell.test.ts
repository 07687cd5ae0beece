/**
 * The shell, command by command: parsing, expansion, what each command does to the world and
 * what it prints. Real-output comparisons live in golden.test.ts; here the expected values come
 * from the tools' documented behaviour (each with a comment saying why).
 */
import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { emptyWorld } from '../model/ops.ts'
import { complete } from './complete.ts'
import { checkLab, labWorld, LABS } from './labs.ts'
import type { DnsFault, LabId } from './labs.ts'
import { parseShell } from './parse.ts'
import { needsMoreInput, runLine } from './run.ts'
import type { ShellRun } from './run.ts'
import { createShell, prompt } from './state.ts'
import type { ShellState } from './state.ts'
import type { World } from '../model/types.ts'

/** A small driver: run lines in order, keep the state, return the last result. */
function shell(world: World = emptyWorld(), netns?: string) {
  let state: ShellState = createShell(world, netns !== undefined ? { netns } : {})
  let seed = 1
  const all: ShellRun[] = []
  const run = (...lines: string[]): ShellRun => {
    let r: ShellRun | undefined
    for (const l of lines) {
      r = runLine(state, l, { seed: seed++ })
      state = r.state
      all.push(r)
    }
    return r!
  }
  return { run, get state() { return state }, all }
}

const EXERCISE_1 = [
  'ip netns add pod-a',
  'ip netns add pod-b',
  'ip link add cni0 type bridge',
  'ip link set cni0 up',
  'ip addr add 10.244.1.1/24 dev cni0',
  'ip link add veth-a type veth peer name eth0 netns pod-a',
  'ip link add veth-b type veth peer name eth0 netns pod-b',
  'ip link set veth-a master cni0',
  'ip link set veth-b master cni0',
  'ip link set veth-a up',
  'ip link set veth-b up',
  'ip netns exec pod-a ip addr add 10.244.1.2/24 dev eth0',
  'ip netns exec pod-b ip addr add 10.244.1.3/24 dev eth0',
  'ip netns exec pod-a ip link set eth0 up',
  'ip netns exec pod-b ip link set eth0 up',
]

describe('parsing', () => {
  it.each([
    // quotes keep spaces, backslash escapes one character, $VAR expands inside "" only
    [`X=1; echo 'a  b' "c $X" d\\ e '$X'`, 'a  b c 1 d e $X\n'],
    // a backslash-newline joins lines
    ['echo one \\\ntwo', 'one two\n'],
    // ${VAR:offset:length} as the curriculum's plugin uses for the veth name
    ['CNI_CONTAINERID=test123456789; echo veth${CNI_CONTAINERID:0:8}', 'vethtest1234\n'],
    ['X=abcdef; echo ${#X} ${X:2} ${Y:-dflt}', '6 cdef dflt\n'],
    // && runs the second only after success, || only after failure
    ['false && echo no; true && echo yes; false || echo fallback', 'yes\nfallback\n'],
    ['echo $(echo inner) x', 'inner x\n'],
    // an env prefix applies to that command only
    ['A=B printenv A; printenv A || echo unset', 'B\nunset\n'],
    ['export N=5; echo $N; bash -c "echo $N"', '5\n5\n'],
    ['# a comment\necho after', 'after\n'],
  ])('%s', (line, out) => {
    expect(shell().run(line).stdout).toBe(out)
  })

  it('a here-document feeds stdin; a quoted delimiter stops expansion', () => {
    const s = shell()
    expect(s.run('X=1; cat << EOF\nvalue $X\nEOF').stdout).toBe('value 1\n')
    expect(s.run("cat << 'EOF'\nvalue $X\nEOF").stdout).toBe('value $X\n')
    expect(s.run('cat <<< "one line"').stdout).toBe('one line\n')
  })

  it.each([
    ["echo 'open", 'quote'],
    ['ip link show |', 'operator'],
    ['kubectl apply -f - << EOF\nkind: NetworkPolicy', 'heredoc'],
    ['ip link add veth0 \\', 'continuation'],
    ['echo $(date', 'substitution'],
  ] as const)('%j needs more input (%s)', (text, why) => {
    expect(needsMoreInput(text)).toBe(why)
  })

  it('syntax errors are bash\'s', () => {
    const r = shell().run('| grep x')
    expect(r.stderr).toBe("bash: syntax error near unexpected token `|'\n")
    expect(r.exitCode).toBe(2)
    expect(shell().run("echo 'x").stderr).toBe("bash: unexpected EOF while looking for matching `''\nbash: syntax error: unexpected end of file\n")
  })

  prop.prop([fc.string({ maxLength: 80 })])('parsing never throws and reports problems as diagnostics', (text) => {
    const p = parseShell(text)
    for (const d of p.diagnostics) expect(d.code).toMatch(/^SH\d{3}$/)
  })

  prop.prop([fc.string({ maxLength: 40 })])('running any line never throws', (text) => {
    const r = runLine(createShell(emptyWorld()), text, { seed: 1 })
    expect(typeof r.exitCode).toBe('number')
  })
})

describe('pipes, redirections and the text tools', () => {
  const s = shell()
  s.run(...EXERCISE_1)
  it.each([
    // two veth host ends on the bridge
    ['ip -br link | grep veth | wc -l', '2\n'],
    ['ip link | head -n 2 | tail -1', '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n'],
    ['ip -br addr | grep -v lo | awk \'{print $1, $3}\'', 'cni0 10.244.1.1/24\nveth-a@if2 \nveth-b@if2 \n'],
    ['ip route | cut -d " " -f 1', '10.244.1.0/24\n'],
    // GNU wc: one count of one file is not padded
    ['echo hello > /root/f.txt; cat f.txt; echo more >> f.txt; wc -l f.txt; cat f.txt | wc -l', 'hello\n2 f.txt\n2\n'],
    ['ls /nope 2>/dev/null || echo missing', 'missing\n'],
    ['ip link show nodev 2>&1 | head -1', 'Device "nodev" does not exist.\n'],
  ])('%s', (line, out) => {
    expect(s.run(line).stdout).toBe(out)
  })
})

describe('Exercise 1 typed command by command', () => {
  const s = shell()
  const results = EXERCISE_1.map((l) => s.run(l))
  it('every command succeeds silently, as on a real host', () => {
    expect(results.map((r) => [r.exitCode, r.stdout, r.stderr])).toEqual(EXERCISE_1.map(() => [0, '', '']))
  })
  it('the world has the netns, the bridge and the ports', () => {
    const w = s.state.world
    expect(Object.keys(w.netns).sort()).toEqual(['host', 'pod-a', 'pod-b'])
    expect(w.netns.host!.links.filter((l) => l.master === 'cni0').map((l) => l.name)).toEqual(['veth-a', 'veth-b'])
  })
  it('pod-a pings pod-b: three replies, each probe a trace', () => {
    const r = s.run('ip netns exec pod-a ping -c 3 10.244.1.3')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^PING 10\.244\.1\.3 \(10\.244\.1\.3\) 56\(84\) bytes of data\.\n(64 bytes from 10\.244\.1\.3: icmp_seq=[123] ttl=64 time=\d\.\d{3} ms\n){3}\n--- 10\.244\.1\.3 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time \d+ms\nrtt min\/avg\/max\/mdev = [\d./]+ ms\n$/)
    expect(r.traces).toHaveLength(3)
    // the first probe waits for ARP; the bridge learns both MACs
    expect(r.traces[0]!.steps.some((st) => st.kind === 'arp-request')).toBe(true)
    expect(r.traces[1]!.steps.some((st) => st.kind === 'arp-request')).toBe(false)
  })
  it('the lab check agrees', () => {
    expect(checkLab('bridge', s.state.world).done).toBe(true)
  })
  it('the curriculum\'s DNAT line without -p is refused, as iptables does', () => {
    const r = shell().run('iptables -t nat -N TEST-SVC', 'iptables -t nat -A TEST-SVC -j DNAT --to-destination 10.244.1.5:80')
    expect([r.exitCode, r.stderr]).toEqual([2, "iptables v1.8.9 (legacy): Need TCP, UDP, SCTP or DCCP with port specification\nTry `iptables -h' or 'iptables --help' for more information.\n"])
  })
  it('a wrong command gives the real error', () => {
    const r = s.run('ip link set veth-c up')
    expect([r.exitCode, r.stderr]).toEqual([1, 'Cannot find device "veth-c"\n'])
  })
})

describe('errors are the real tools\' words', () => {
  const s = shell()
  s.run(...EXERCISE_1)
  it.each([
    ['ip foo', 1, 'Object "foo" is unknown, try "ip help".\n'],
    ['ip addr add 10.244.1.1/24 dev cni0', 2, 'Error: ipv4: Address already assigned.\n'],
    ['ip link add cni0 type bridge', 2, 'RTNETLINK answers: File exists\n'],
    ['ip route add 10.244.1.5/24 dev cni0', 2, 'Error: Invalid prefix for given prefix length.\n'],
    ['ip netns exec nope ip a', 255, 'Cannot open network namespace "nope": No such file or directory\n'],
    // iptables' parser error for a jump to a chain that does not exist
    ['iptables -A FORWARD -j NOPE', 2, "iptables v1.8.9 (legacy): Couldn't load target `NOPE':No such file or directory\n\nTry `iptables -h' or 'iptables --help' for more information.\n"],
    ['sysctl net.ipv4.nope', 1, 'sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n'],
    ['tcpdump -i nodev', 1, 'tcpdump: nodev: No such device exists\n(No such device exists)\n'],
  ])('%s', (line, code, err) => {
    const r = s.run(line)
    expect([r.exitCode, r.stderr]).toEqual([code, err])
  })
  it('an unknown command says so and lists what exists', () => {
    const r = s.run('ifconfig -a')
    expect(r.exitCode).toBe(127)
    expect(r.stderr).toMatch(/^bash: ifconfig: command not found\npacketwalk: this shell knows ip, bridge, iptables, .*kubectl, crictl.*\n$/)
  })
})

describe('moving around: netns shells, kubectl exec, exit', () => {
  it('the prompt says where commands run', () => {
    const s = shell()
    s.run(...EXERCISE_1)
    expect(prompt(s.state)).toBe('root@host:~# ')
    s.run('ip netns exec pod-a bash')
    expect(prompt(s.state)).toBe('root@host [netns pod-a]:~# ')
    // inside, `ip addr` is pod-a's
    expect(s.run('ip -br addr show eth0').stdout).toBe('eth0@if3         UP             10.244.1.2/24 \n')
    s.run('exit')
    expect(prompt(s.state)).toBe('root@host:~# ')
  })
})

describe('sysctl and /proc/sys', () => {
  it.each([
    ['sysctl -w net.ipv4.ip_forward=1', 'net.ipv4.ip_forward = 1\n', true],
    ['echo 1 > /proc/sys/net/ipv4/ip_forward', '', true],
    ['sysctl net.ipv4.conf.all.forwarding=0', 'net.ipv4.conf.all.forwarding = 0\n', false],
  ])('%s', (line, out, on) => {
    const s = shell()
    expect(s.run(line).stdout).toBe(out)
    expect(s.state.world.netns.host!.sysctl['net.ipv4.ip_forward']).toBe(on)
    expect(s.run('cat /proc/sys/net/ipv4/ip_forward').stdout).toBe(on ? '1\n' : '0\n')
  })
})

describe('iptables, iptables-save, iptables-restore', () => {
  it('rules land in the netns the command runs in', () => {
    const s = shell()
    s.run('ip netns add a', 'ip netns exec a iptables -t nat -N TEST-SVC', 'ip netns exec a iptables -t nat -A PREROUTING -d 10.96.1.100/32 -p tcp --dport 80 -j TEST-SVC')
    expect(s.run('ip netns exec a iptables -t nat -S').stdout).toBe('-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-N TEST-SVC\n-A PREROUTING -d 10.96.1.100/32 -p tcp -m tcp --dport 80 -j TEST-SVC\n')
    expect(s.run('iptables -t nat -S').stdout).toBe('-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n')
  })
  it('iptables-save dates its header lines with the simulated clock', () => {
    const st = createShell(emptyWorld(), { epoch: Date.UTC(2026, 10, 26, 6, 57) })
    const r1 = runLine(st, 'iptables -t nat -A POSTROUTING -j MASQUERADE', { seed: 1 })
    const r2 = runLine(r1.state, 'iptables-save', { seed: 2 })
    // asctime(3) pads the day with a space; Nov 26 2026 is a Thursday
    expect(r2.stdout.split('\n')[0]).toBe('# Generated by iptables-save v1.8.9 (legacy) on Thu Nov 26 06:57:00 2026')
    expect(r2.stdout).toContain('-A POSTROUTING -j MASQUERADE\nCOMMIT\n# Completed on Thu Nov 26 06:57:00 2026\n')
  })
  it('iptables-restore reads a here-document', () => {
    const s = shell()
    const r = s.run('iptables-restore << EOF\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\nEOF')
    expect(r.exitCode).toBe(0)
    expect(s.run('iptables -S FORWARD').stdout).toBe('-P FORWARD DROP\n')
  })
})

describe('tcpdump runs in the background', () => {
  const s = shell()
  s.run(...EXERCISE_1)
  it('arms, prints packets during later commands, stops with kill', () => {
    const arm = s.run('tcpdump -i cni0 -n icmp')
    expect(arm.stderr).toContain('listening on cni0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n')
    expect(s.run('jobs').stdout).toBe('[1]+  Running                 tcpdump -i cni0 -n icmp &\n')
    const ping = s.run('ip netns exec pod-a ping -c 1 10.244.1.3')
    // the filter keeps ICMP only: no ARP lines, one request and one reply
    expect(ping.stdout.split('\n').filter((l) => / IP /.test(l)).map((l) => l.replace(/^\S+ /, '').replace(/id \d+/, 'id N'))).toEqual(['IP 10.244.1.2 > 10.244.1.3: ICMP echo request, id N, seq 1, length 64', 'IP 10.244.1.3 > 10.244.1.2: ICMP echo reply, id N, seq 1, length 64'])
    const stop = s.run('kill %1')
    expect(stop.stderr).toBe('\n2 packets captured\n2 packets received by filter\n0 packets dropped by kernel\n[1]+  Interrupt               tcpdump -i cni0 -n icmp\n')
    expect(s.state.captures).toEqual([])
  })
  it('a bad filter is tcpdump\'s syntax error', () => {
    expect(s.run('tcpdump -i cni0 host').stderr).toBe("tcpdump: syntax error in filter expression: unknown host ''\n")
  })
})

describe('curl and nc', () => {
  const s = shell(labWorld('service-dnat'))
  it.each([
    // nginx answers with its welcome page
    ['ip netns exec client curl -s 10.244.1.5 | grep title', 0, '<title>Welcome to nginx!</title>\n', ''],
    ['ip netns exec client nc -vz 10.244.1.5 80', 0, '', 'Connection to 10.244.1.5 80 port [tcp/http] succeeded!\n'],
    // nothing listens on 81: the kernel answers RST
    ['ip netns exec client nc -vz 10.244.1.5 81', 1, '', 'nc: connect to 10.244.1.5 port 81 (tcp) failed: Connection refused\n'],
    ['ip netns exec client curl 10.244.1.5:81', 7, '', "curl: (7) Failed to connect to 10.244.1.5 port 81 after 0 ms: Couldn't connect to server\n"],
    // no DNAT rule yet: the VIP goes to the default gateway, which has no route for it
    ['ip netns exec client curl --connect-timeout 2 10.96.1.100', 7, '', "curl: (7) Failed to connect to 10.96.1.100 port 80 after 0 ms: Couldn't connect to server\n"],
  ])('%s', (line, code, out, err) => {
    const r = s.run(line)
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([code, out, err])
  })
  it('nc -l starts a server the next connection reaches', () => {
    s.run('ip netns exec client nc -lk 8080')
    expect(s.run('ip netns exec web nc -vz 10.244.1.2 8080').exitCode).toBe(0)
  })
})

describe('CNI plugins by hand', () => {
  const conf = '{"cniVersion":"1.0.0","name":"mynet","type":"bridge","bridge":"cni0","isGateway":true,"ipam":{"type":"host-local","subnet":"10.244.1.0/24","routes":[{"dst":"0.0.0.0/0"}]}}'
  it('ADD creates the veth, the address and the route, and prints the result', () => {
    const s = shell()
    s.run('ip netns add test-pod', 'export CNI_COMMAND=ADD CNI_CONTAINERID=test123 CNI_NETNS=/var/run/netns/test-pod CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin')
    const r = s.run(`echo '${conf}' | /opt/cni/bin/bridge`)
    expect(r.exitCode).toBe(0)
    const result = JSON.parse(r.stdout) as { ips: { address: string; gateway: string; interface: number }[]; interfaces: { name: string; sandbox?: string }[] }
    // host-local skips the gateway (.1) and hands out .2 first
    expect(result.ips).toEqual([{ interface: 2, address: '10.244.1.2/24', gateway: '10.244.1.1' }])
    expect(result.interfaces.map((i) => i.name)).toEqual(['cni0', expect.stringMatching(/^veth[0-9a-f]{8}$/) as unknown as string, 'eth0'])
    expect(s.run('ip netns exec test-pod ip route').stdout).toBe('default via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 \n')
    expect(s.run('ls /var/lib/cni/networks/mynet').stdout).toBe('10.244.1.2  last_reserved_ip.0  lock\n')
    // a second container gets the next address
    s.run('ip netns add test-pod2')
    const r2 = s.run(`CNI_CONTAINERID=other CNI_NETNS=/var/run/netns/test-pod2 /opt/cni/bin/bridge <<< '${conf}'`)
    expect((JSON.parse(r2.stdout) as { ips: { address: string }[] }).ips[0]!.address).toBe('10.244.1.3/24')
    // DEL frees the address and removes the veth
    const del = s.run(`CNI_COMMAND=DEL /opt/cni/bin/bridge <<< '${conf}'`)
    expect([del.exitCode, del.stdout]).toEqual([0, ''])
    expect(s.run('ip netns exec test-pod ip -br link').stdout).toBe('lo               DOWN           00:00:00:00:00:00 <LOOPBACK> \n')
  })
  it.each([
    // the spec's error JSON, exit status 1
    ['/opt/cni/bin/bridge < /dev/null', '{\n    "code": 4,\n    "msg": "required env variables [CNI_COMMAND] missing"\n}\n'],
    [`CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/var/run/netns/nope CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin /opt/cni/bin/bridge <<< '${conf}'`, '{\n    "code": 999,\n    "msg": "failed to open netns \\"/var/run/netns/nope\\": failed to Statfs \\"/var/run/netns/nope\\": no such file or directory"\n}\n'],
    ['CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/var/run/netns/nope CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin /opt/cni/bin/bridge <<< "not json"', '{\n    "code": 6,\n    "msg": "failed to parse network configuration: invalid character \'o\' in literal null (expecting \'u\')"\n}\n'],
  ])('%s', (line, out) => {
    const r = shell().run(line)
    expect([r.exitCode, r.stdout]).toEqual([1, out])
  })
  it('VERSION lists the spec versions', () => {
    expect(shell().run('CNI_COMMAND=VERSION /opt/cni/bin/loopback <<< \'{"cniVersion":"1.0.0"}\'').stdout).toBe('{"cniVersion":"1.0.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n')
  })
  it('loopback brings lo up with 127.0.0.1/8', () => {
    const s = shell()
    s.run('ip netns add p', 'CNI_COMMAND=ADD CNI_CONTAINERID=c CNI_NETNS=/var/run/netns/p CNI_IFNAME=lo CNI_PATH=/opt/cni/bin /opt/cni/bin/loopback <<< \'{"cniVersion":"1.0.0","name":"lo","type":"loopback"}\'')
    expect(s.run('ip netns exec p ip -br addr').stdout).toBe('lo               UNKNOWN        127.0.0.1/8 \n')
  })
})

describe('a cluster: kubectl, crictl, DNS', () => {
  const s = shell(labWorld('dns-debug', { fault: 'coredns-scaled-to-zero' }), 'node1')
  it('kubectl get pods shows the broken state (no CoreDNS)', () => {
    const r = s.run('kubectl get pods -n kube-system')
    expect([r.stdout, r.stderr]).toEqual(['', 'No resources found in kube-system namespace.\n'])
  })
  it('the lookup is refused in the client pod', () => {
    const r = s.run('kubectl exec client -- nslookup web')
    // kube-proxy REJECTs traffic to a Service without endpoints (ICMP port unreachable): "connection refused"
    expect(r.stdout).toBe(';; communications error to 10.96.0.10#53: connection refused\n'.repeat(3) + ';; no servers could be reached\n\n')
    expect(checkLab('dns-debug', s.state.world).done).toBe(false)
  })
  it('scaling CoreDNS back fixes it', () => {
    expect(s.run('kubectl scale deployment coredns -n kube-system --replicas=2').stdout).toBe('deployment.apps/coredns scaled\n')
    const r = s.run('kubectl exec client -- nslookup web')
    // CoreDNS answers its own zone authoritatively, so no "Non-authoritative answer:" line
    expect(r.stdout).toBe('Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.96.45.123\n\n')
    expect(s.run('kubectl exec client -- dig +short web.default.svc.cluster.local').stdout).toBe('10.96.45.123\n')
    expect(checkLab('dns-debug', s.state.world).done).toBe(true)
  })
  it('kubectl tables line up as kubectl prints them', () => {
    const r = s.run('kubectl get svc')
    expect(r.stdout).toMatch(/^NAME {9}TYPE {8}CLUSTER-IP {5}EXTERNAL-IP {3}PORT\(S\) {3}AGE\nkubernetes {3}ClusterIP {3}10\.96\.0\.1 {6}<none> {8}443\/TCP {3}\S+\nweb {10}ClusterIP {3}10\.96\.45\.123 {3}<none> {8}80\/TCP {4}\S+\n$/)
  })
  it('apply -f - with a NetworkPolicy from a here-document', () => {
    const r = s.run("kubectl apply -f - << 'EOF'\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\nEOF")
    expect(r.stdout).toBe('networkpolicy.networking.k8s.io/deny-all created\n')
    expect(s.run('kubectl get netpol').stdout).toMatch(/^NAME +POD-SELECTOR +AGE\ndeny-all +<none> +\S+\n$/)
    expect(s.run('kubectl delete networkpolicy deny-all').stdout).toBe('networkpolicy.networking.k8s.io "deny-all" deleted\n')
  })
  it('expose and delete pod reshape the Service', () => {
    expect(s.run('kubectl expose deployment web --port 8080 --target-port 80 --name web2 --type NodePort').stdout).toBe('service/web2 exposed\n')
    const pod = s.state.world.cluster!.pods.find((p) => p.name.startsWith('web-'))!.name
    expect(s.run(`kubectl delete pod ${pod}`).stdout).toBe(`pod "${pod}" deleted\n`)
    // the ReplicaSet replaces it: still two web pods, one with a new name
    expect(s.state.world.cluster!.pods.filter((p) => p.name.startsWith('web-')).map((p) => p.name)).not.toContain(pod)
    expect(s.state.world.cluster!.pods.filter((p) => p.name.startsWith('web-'))).toHaveLength(2)
  })
  it('crictl on a node lists its sandboxes; inspectp shows the pause pid', () => {
    const pods = s.run('crictl pods').stdout.split('\n')
    // crictl's tabwriter: columns at least 20 wide, wider when a cell needs it
    expect(pods[0]).toMatch(/^POD ID {14}CREATED +STATE {15}NAME +NAMESPACE {11}ATTEMPT {13}RUNTIME$/)
    const client = s.state.world.cluster!.pods.find((p) => p.name === 'client')!
    const r = s.run(`crictl inspectp ${client.sandboxId.slice(0, 13)} | grep '"pid": [0-9]'`)
    expect(r.stdout).toBe(`    "pid": ${client.pausePid},\n`)
  })
  it('kubectl exec -it … sh enters the pod', () => {
    s.run('kubectl exec -it client -- sh')
    expect(prompt(s.state)).toBe('root@client:/# ')
    expect(s.run('cat /etc/resolv.conf').stdout).toBe('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n')
    s.run('exit')
    expect(prompt(s.state)).toBe('root@node1:~# ')
  })
})

describe('named netns on a cluster node', () => {
  const s = shell(labWorld('dns-debug', { fault: 'coredns-scaled-to-zero' }), 'node1')
  const client = s.state.world.cluster!.pods.find((p) => p.name === 'client')!
  const cni = client.netnsPath.slice(client.netnsPath.lastIndexOf('/') + 1)
  it("a pod's sandbox is cni-<uuid> in /run/netns, so its veth shows `link-netns cni-…` and that name is taken", () => {
    expect(s.run(`ip link show ${client.hostVeth!}`).stdout).toContain(` link-netns ${cni}\n`)
    expect([s.run(`ip netns add ${cni}`).exitCode, s.all.at(-1)!.stderr]).toEqual([1, `Cannot create namespace file "/run/netns/${cni}": File exists\n`])
  })
  it("a pod's name is not a netns name: `ip netns add client` makes a new one", () => {
    expect(s.run('ip netns add client').exitCode).toBe(0)
    expect(s.run('ip netns list').stdout.split('\n')).toContain('client')
  })
})

describe('labs', () => {
  const solutions: Record<LabId, readonly string[]> = {
    bridge: [...EXERCISE_1, 'ip netns exec pod-a ping -c 1 10.244.1.3'],
    vxlan: [
      'ip -n node1 link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.1.10 dev eth0',
      'ip -n node2 link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.1.20 dev eth0',
      'ip -n node1 link set vxlan0 up',
      'ip -n node2 link set vxlan0 up',
      'ip netns exec node1 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20',
      'ip netns exec node2 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.10',
      ...[1, 2].flatMap((i) => [`ip netns add pod${i}`, `ip -n node${i} link add cni0 type bridge`, `ip -n node${i} link set cni0 up`, `ip -n node${i} addr add 10.244.${i}.1/24 dev cni0`, `ip -n node${i} link add veth${i} type veth peer name eth0 netns pod${i}`, `ip -n node${i} link set veth${i} master cni0 up`, `ip -n pod${i} addr add 10.244.${i}.2/24 dev eth0`, `ip -n pod${i} link set eth0 up`, `ip -n pod${i} route add default via 10.244.${i}.1`, `ip -n node${i} addr add 10.244.${i}.0/32 dev vxlan0`]),
      'ip -n node1 route add 10.244.2.0/24 via 10.244.2.0 dev vxlan0 onlink',
      'ip -n node2 route add 10.244.1.0/24 via 10.244.1.0 dev vxlan0 onlink',
    ],
    'service-dnat': ['iptables -t nat -N TEST-SVC', 'iptables -t nat -A PREROUTING -d 10.96.1.100/32 -p tcp --dport 80 -j TEST-SVC', 'iptables -t nat -A TEST-SVC -p tcp -j DNAT --to-destination 10.244.1.5:80'],
    'dns-debug': ['kubectl scale deployment coredns -n kube-system --replicas=2'],
  }
  it.each(LABS.map((l) => [l.id, l] as const))('%s: not done at the start, done after the hints\' commands', (id, lab) => {
    const start = labWorld(id)
    expect(checkLab(lab, start).done).toBe(false)
    const s = shell(start, lab.startNetns)
    const failed = solutions[id].map((l) => [l, s.run(l)] as const).filter(([, r]) => r.exitCode !== 0).map(([l, r]) => `${l}: ${r.stderr}`)
    expect(failed).toEqual([])
    const result = checkLab(lab, s.state.world)
    expect(result.checks.filter((c) => !c.ok)).toEqual([])
    expect(result.done).toBe(true)
  })
  it.each([
    ['kube-dns-rule-missing', 'iptables -t nat -I KUBE-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU'],
    ['wrong-nameserver', 'kubectl exec client -- sed -i s/10.96.0.11/10.96.0.10/ /etc/resolv.conf'],
  ] as const)('DNS fault %s is fixed by %s', (fault: DnsFault, fix) => {
    const w = labWorld('dns-debug', { fault })
    expect(checkLab('dns-debug', w).done).toBe(false)
    const s = shell(w, 'node1')
    expect(s.run(fix).exitCode).toBe(0)
    expect(checkLab('dns-debug', s.state.world).done).toBe(true)
  })
})

describe('tab completion', () => {
  const s = shell()
  s.run(...EXERCISE_1)
  it.each([
    ['ip l', ['link']],
    ['ip link set v', ['veth-a', 'veth-b']],
    ['ip netns exec pod-a ip link set e', ['eth0']],
    ['ip netns exec p', ['pod-a', 'pod-b']],
    ['ip -n pod-b link set ', ['eth0', 'lo']],
    ['iptables -t n', ['nat']],
    ['iptables -t nat -A P', ['POSTROUTING', 'PREROUTING']],
    ['tcpdump -i c', ['cni0']],
    ['kubect', ['kubectl']],
    ['cat /proc/sys/net/ipv4/ip_f', []],
    ['ls /sys/class/net/cni0/m', ['/sys/class/net/cni0/mtu']],
  ] as const)('%j', (line, want) => {
    expect(complete(s.state, line)).toEqual(want)
  })
  it('kubectl completes pod names in a cluster', () => {
    const c = shell(labWorld('dns-debug'), 'node1')
    expect(complete(c.state, 'kubectl exec cl')).toEqual(['client'])
  })
})

describe('robustness', () => {
  const words = ['pod-a', 'pod-b', 'cni0', 'eth0', 'veth-a', 'nope', '10.244.1.2', '10.244.1.3/24', '10.96.0.10', '0', '999999', '-1', '', 'up', 'down', 'master', 'netns', 'dev', 'via', 'type', 'bridge', 'veth', 'vxlan', 'peer', 'name', 'id', '42', '"quoted arg"', '$X', '|', '&&']
  const heads = ['ip link set', 'ip link add', 'ip addr add', 'ip addr del', 'ip route add', 'ip route del', 'ip route get', 'ip neigh add', 'ip netns add', 'ip netns del', 'ip netns exec', 'ip -j -d link show', 'bridge fdb add', 'bridge link', 'iptables -t nat -A', 'iptables -D', 'sysctl -w', 'ping -c 1', 'curl', 'nc -vz', 'nslookup', 'dig', 'tcpdump -i', 'kubectl get', 'kubectl exec', 'crictl inspectp', 'cat', 'ls', 'kill', 'CNI_COMMAND=ADD /opt/cni/bin/bridge']
  prop.prop([fc.array(fc.tuple(fc.constantFrom(...heads), fc.array(fc.constantFrom(...words), { maxLength: 6 })), { maxLength: 12 })], { numRuns: 60 })('random command sequences never hit an internal error', (cmds) => {
    const s = shell()
    s.run(...EXERCISE_1)
    for (const [head, args] of cmds) {
      const r = s.run(`${head} ${args.join(' ')}`)
      expect(r.stderr).not.toContain('internal error')
    }
  })
})

describe('bridge fdb add … master: permanent is local, static forwards', () => {
  // Kernel (iproute2 6.1, a throwaway netns): `bridge fdb add M dev va master` lists as
  // `permanent` (NUD_PERMANENT: a local entry, frames to M go up to the host), `… static` as
  // `static` (a forwarding entry to va).
  it('lists them as the kernel does and models the first as local', () => {
    const s = shell()
    s.run('ip link add br0 type bridge', 'ip link add va type veth peer name vb', 'ip link set va master br0', 'ip link set br0 up', 'ip link set va up')
    expect(s.run('bridge fdb add 02:00:00:00:00:11 dev va master').exitCode).toBe(0)
    expect(s.run('bridge fdb add 02:00:00:00:00:12 dev va master static').exitCode).toBe(0)
    const out = s.run('bridge fdb show br br0').stdout
    expect(out).toContain('02:00:00:00:00:11 dev va master br0 permanent')
    expect(out).toContain('02:00:00:00:00:12 dev va master br0 static')
    const fdb = s.state.world.netns[s.state.netns]!.fdb
    expect(fdb.find((f) => f.mac === '02:00:00:00:00:11')).toMatchObject({ permanent: true, local: true })
    expect(fdb.find((f) => f.mac === '02:00:00:00:00:12')?.local).toBeUndefined()
  })
})

describe('the source address: route scope and ARP', () => {
  // Kernel (veth pwSa0 169.254.1.1/16 scope link, pwSa1 10.9.9.9/24): a gateway route on the
  // link-scope device takes the other device's global address; a connected route may use the link one.
  const setup = ['ip netns add a', 'ip netns add b', 'ip link add d0 netns a type veth peer name e0 netns b', 'ip link add d1 netns a type veth peer name e1 netns b', 'ip -n a link set d0 up', 'ip -n a link set d1 up', 'ip -n a addr add 169.254.1.1/16 dev d0 scope link', 'ip -n a addr add 10.9.9.9/24 dev d1', 'ip -n a route add 8.8.8.0/24 via 169.254.1.2 dev d0', 'ip -n a route add 7.7.7.0/24 dev d0']
  it('ip route get: src follows the route scope', () => {
    const s = shell()
    s.run(...setup)
    expect(s.run('ip -n a route get 8.8.8.8').stdout).toBe('8.8.8.8 via 169.254.1.2 dev d0 src 10.9.9.9 uid 0 \n    cache \n')
    expect(s.run('ip -n a route get 7.7.7.7').stdout).toBe('7.7.7.7 dev d0 src 169.254.1.1 uid 0 \n    cache \n')
  })
})
