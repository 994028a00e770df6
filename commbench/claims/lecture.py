"""The lecture's claims in the order of the notes: each quote (Spanish, as written, a
vulgar word cut with […]), its English line, the row families that decide it, its
verdict function, and the report blocks (anchors) that show the deciding figure.
:mod:`commbench.claims` registers them, in this order."""

from __future__ import annotations

from commbench.claims.base import Claim
from commbench.claims.cap import cap_consistency, replicas_available
from commbench.claims.dissemination import (
    death_certificates,
    flooding_counts,
    group_nonmembers,
    rumor_residue,
    tree_quality,
)
from commbench.claims.messaging import (
    mom_persistence,
    mpi_not_fault_tolerant,
    push_pull_share,
    zmq_peer_death,
)
from commbench.claims.rpc import byref_int, json_inefficient, retries
from commbench.claims.transports import mpi_nanoseconds, mpi_shm_vs_tcp, recv_1024

SOURCE = "shared/seed/000_b2499ba96b2f0d20.txt"
"""Where the quotes come from: the lecture notes (Spanish), beside the project."""

LECTURE: tuple[Claim, ...] = (
    Claim(
        "mpi-shm",
        "Tiene optimizaciones para compartir mensajes por memoria, para ser más rápido "
        "que la interfaz TCP/IP incluso localmente.",
        "MPI shares messages through memory and so beats TCP/IP, even on one machine.",
        ("latency",),
        mpi_shm_vs_tcp,
        ("latency-size", "latency-table"),
        "one-way p50, MPI over TCP ÷ MPI over shared memory, per size",
    ),
    Claim(
        "mpi-ns",
        "Funciona mejor en escenarios de baja latencia y amplio ancho de banda. / Baja "
        "latencia en estos escenarios refiere a nanosegundos.",
        "MPI targets very low latency: nanoseconds.",
        ("latency", "floor"),
        mpi_nanoseconds,
        ("floor-table", "native-floors", "floor-medians", "latency-table"),
        "smallest one-way p50 over shared memory, C and Python",
    ),
    Claim(
        "json-rpc",
        "¿Por qué no usamos JSON para sincronizar 2 stubs en RPC? => Porque es súper "
        "ineficiente, si mando el JSON lo mando entero, no se comprime. Si bien existe RPC "
        "para JSON, es una […].",
        "JSON is very inefficient for RPC stubs: sent whole, not compressed.",
        ("marshalling", "rpc"),
        json_inefficient,
        ("rpc-latency-table", "marshalling-table"),
        "JSON ÷ protobuf bytes and time; Connect JSON ÷ Connect protobuf",
    ),
    Claim(
        "recv-1024",
        "La implementación en Python tiene la particularidad de que escuchan de a N bytes. "
        "En el caso del ejemplo del slide, escucha de a 1024 bytes (1 kB).",
        "Python sockets read N bytes at a time (1024 in the example): what that costs.",
        ("latency",),
        recv_1024,
        ("latency-table",),
        "p50 round trip, recv(1024) ÷ one buffer, per size",
    ),
    Claim(
        "zmq-peer-death",
        "Si P2 quiere escuchar a P1 pero P1 muere, el mensaje que P1 le había mandado se "
        "pierde para siempre.",
        "ZeroMQ: if the peer dies, the messages it queued are lost forever.",
        ("messaging",),
        zmq_peer_death,
        ("msg-loss",),
        "ZeroMQ messages never delivered after a peer was killed",
    ),
    Claim(
        "push-pull",
        "El modelo PUSH/PULL lo que permite es distribuir los mensajes entre todos los "
        '"oyentes", y con que uno sólo lo escuche ta bien.',
        "PUSH/PULL spreads the messages over the listeners; one listener per message is enough.",
        ("messaging",),
        push_pull_share,
        ("msg-pullers",),
        "share of the stream each puller received",
    ),
    Claim(
        "mom-persistence",
        "Si se muere el proceso de la queue en estos casos (pensando en queues que viven en "
        "memoria), se pierden los mensajes",
        "A queue process living in memory that dies loses its messages; a persistent MoM does not.",
        ("messaging",),
        mom_persistence,
        ("msg-loss",),
        "messages lost per broker and mode when the broker dies",
    ),
    Claim(
        "mpi-faults",
        "No está adaptado para funcionar con tolerancia a fallos, si algo falla todo el "
        "sistema falla",
        "MPI is not fault tolerant: one failure brings the whole job down.",
        ("messaging",),
        mpi_not_fault_tolerant,
        ("msg-rank-kill", "msg-loss"),
        "survivors aborted and the time to abort after one rank is killed",
    ),
    Claim(
        "flooding",
        "El mejor escenario es un grafo que sea un árbol (orden lineal de cantidad de "
        "mensajes), y el peor es un grafo completamente conectado (orden cuadrático).",
        "Flooding costs linear messages on a tree and quadratic on a complete graph.",
        ("dissemination",),
        flooding_counts,
        ("dissemination-flood",),
        "messages per flood against n",
    ),
    Claim(
        "rumor-residue",
        "Este método ta güeno para compartir información rápidamente pero no garantiza que "
        "todos los nodos van a recibir todas las actualizaciones.",
        "Rumor spreading is fast but does not guarantee every node gets the update.",
        ("dissemination",),
        rumor_residue,
        ("dissemination-rumor",),
        "residue s against k",
    ),
    Claim(
        "death-certificates",
        "Para garantizar un delete, algunos nodos van a mantener una lista de certificados "
        "permanente, de forma que si les llega un update sobre data que debería estar "
        "eliminada pueden volver a esparcir el certificado de defunción.",
        "Death certificates stop deleted data coming back; dormant copies kept by a few "
        "nodes spread them again.",
        ("dissemination",),
        death_certificates,
        ("dissemination-dc",),
        "resurrections with and without dormant certificates",
    ),
    Claim(
        "multicast-nonmembers",
        "Y obviamente quiero reducir la cantidad de nodos que procesan mensajes que no son "
        "para ellos.",
        "Multicast should keep messages away from nodes outside the group.",
        ("dissemination",),
        group_nonmembers,
        ("group-multicast", "dissemination-times"),
        "messages to non-members: flooding against a tree over the members",
    ),
    Claim(
        "tree-metrics",
        "Hay 3 métricas para medir la calidad del árbol: link stress, relative delay penalty "
        "(RDP) y tree cost.",
        "Tree quality is measured by link stress, RDP and tree cost.",
        ("dissemination",),
        tree_quality,
        ("dissemination-tree",),
        "link stress, RDP and cost per tree",
    ),
    Claim(
        "byref-int",
        "Claramente, esto se hace cuando tenemos objetos relativamente pesados, si paso un "
        "int o un boolean por referencias globales usando RPC, soy un […].",
        "Global references are for heavy objects; passing an int by global reference is foolish.",
        ("rpc",),
        byref_int,
        ("rpc-byref",),
        "by value against by reference at the smallest size, and the crossover",
    ),
    Claim(
        "retry",
        "Si la llamada falla en un HTTP Request, tengo que poder hacer un re-try.",
        "A failed call must be retried.",
        ("rpc",),
        retries,
        ("rpc-faults", "rpc-fault-timeline"),
        "success rate without and with retries, duplicates",
    ),
    Claim(
        "cap-payments",
        "En cambio, para casos como los pagos, voy a necesitar darle prioridad a la "
        "consistencia. No puedo darle un servicio al usuario hasta que sepa que pagó.",
        "Payments need consistency; recommendations can take staleness (normative).",
        ("cap",),
        cap_consistency,
        ("cap-table", "cap-medians"),
        "stale reads and minority availability per store and mode",
    ),
    Claim(
        "replicas",
        "Problema: se cae una instancia, pierdo disponibilidad / Solución: replicar "
        "las instancias con un cierto criterio.",
        "Replicas keep a service available when an instance dies.",
        ("cap",),
        replicas_available,
        ("cap-table", "cap-medians"),
        "availability of the surviving members with one member killed",
    ),
)
"""The lecture's claims, in the order of the notes."""
