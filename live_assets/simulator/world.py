"""The dimensions of one simulated bot (groups, protocols, agents, close reasons) and the text pools.

Everything is derived from the bot's seed, so two bots differ (names, SLA thresholds, staffing) while
each stays the same from one run to the next. Names deliberately carry accents and emoji, and the
free-text pools carry commas, double quotes, newlines and emoji: the client must load them intact.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from live_assets.simulator.stablehash import rng_for


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    name: str
    description: str
    sla_threshold: int  # seconds of queue wait that still count as within SLA


@dataclass(frozen=True, slots=True)
class Protocol:
    id: int
    name: str
    weight: float  # share of the traffic arriving through this channel
    session_factor: float  # asynchronous channels (whatsapp) hold chats longer


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str
    nick_name: str
    email: str
    picture: str | None
    max_concurrent_chats: int
    group_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    id: int
    description: str


@dataclass(frozen=True, slots=True)
class World:
    """The fixed cast of one bot."""

    groups: tuple[Group, ...]
    protocols: tuple[Protocol, ...]
    agents: tuple[Agent, ...]
    attended_reasons: tuple[Reason, ...]
    lost_reasons: tuple[Reason, ...]
    end_of_day_reason: Reason

    def group(self, group_id: int) -> Group:
        return next(g for g in self.groups if g.id == group_id)

    def agent(self, agent_id: int) -> Agent:
        return next(a for a in self.agents if a.id == agent_id)


GROUP_POOL: tuple[tuple[str, str], ...] = (
    ("Ventas", "Consultas comerciales, precios y promociones"),
    ("Soporte técnico", 'Incidencias, configuración y "errores" de la app'),
    ("Facturación", "Pagos, facturas, reembolsos"),
    ("Atención VIP 🌟", "Clientes premium; respuesta prioritaria"),
    ("Atendimento Brasil 🇧🇷", "Clientes de São Paulo, Rio e região"),
    ("Logística", "Envíos, devoluciones y seguimiento de pedidos"),
)
SLA_THRESHOLDS: tuple[int, ...] = (20, 30, 45, 60, 90, 120)
GROUPS_PER_BOT = 4

PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(1, "webchat", 0.45, 1.0),
    Protocol(2, "whatsapp", 0.35, 1.4),
    Protocol(3, "instagram", 0.12, 1.2),
    Protocol(4, "facebook", 0.08, 1.1),
)

AGENT_NAMES: tuple[str, ...] = (
    "José Pérez",
    "María Fernández",
    "João Silva",
    "Lucía Gómez",
    "Ana Beatriz Souza",
    "Carlos Ramírez",
    "Sofía Martínez",
    "Pedro Álvares Cabral",
    "Inês Carvalho",
    "Martín Núñez",
    "Camila Rocha",
    "Diego Hernández",
)
NICK_DECORATIONS: tuple[str, ...] = ("", "", "", " 🌻", " ⚡", " 😊")

ATTENDED_REASONS: tuple[Reason, ...] = (
    Reason(1, "Consulta resuelta"),
    Reason(2, "Derivado a otra área"),
    Reason(3, "Sin respuesta del usuario"),
    Reason(4, "Venta concretada 💰"),
    Reason(5, 'Reclamo registrado, "pendiente" de revisión'),
    Reason(6, "Spam"),
)
LOST_REASONS: tuple[Reason, ...] = (
    Reason(7, "Abandono en cola"),
    Reason(8, "Tiempo de espera agotado"),
)
END_OF_DAY_REASON = Reason(9, "Cierre automático: fin de jornada")

# fmt: off
FIRST_NAMES: tuple[str, ...] = (
    "Álvaro", "Begoña", "Conceição", "Débora", "Estêvão", "Fátima", "Gonçalo", "Héctor", "Iñaki", "Jesús",
    "Lourdes", "Marília", "Nuño", "Óscar", "Patrícia", "Raúl", "Sebastián", "Tomás", "Úrsula", "Valentina",
    "Zoé", "Ana", "Luis", "Bruna",
)
LAST_NAMES: tuple[str, ...] = (
    "García", "Rodríguez", "González", "Muñoz", "Peña", "D'Ávila", "Gonçalves", "Assunção", "Brandão",
    "Ibáñez", "Santos", "O'Connor", "Castaño", "Magalhães", "López-Ortega", "Araújo",
)
# fmt: on
PLAN_NAMES: tuple[str, ...] = ("básico", "premium", "empresa", "grátis")

LOCATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "Madrid", "España"),
    (2, "Barcelona", "España"),
    (3, "São Paulo", "Brasil"),
    (4, "Rio de Janeiro", "Brasil"),
    (5, "Lisboa", "Portugal"),
    (6, "Ciudad de México", "México"),
    (7, "Bogotá", "Colombia"),
    (8, "Buenos Aires", "Argentina"),
    (9, "Santiago", "Chile"),
    (10, "Coruña, A", "España"),
)
PLATFORMS: tuple[tuple[int, str, str], ...] = (
    (1, "Android", "14"),
    (2, "iOS", "17.5.1"),
    (3, "Windows", "11"),
    (4, "macOS", "14.4"),
    (5, "Linux", "6.8"),
)
BROWSERS: tuple[tuple[int, str, str], ...] = (
    (1, "Chrome", "126.0.6478.127"),
    (2, "Safari", "17.5"),
    (3, "Firefox", "128.0"),
    (4, "Edge", "126.0.2592.87"),
)
APP_BROWSER = (5, "In-app", "1.0")  # messaging channels have no real browser

# Survey labels per 1..5 value: the ``name`` of the feedback object.
FEEDBACK_LABELS: dict[int, str] = {
    1: "Muy insatisfecho",
    2: "Insatisfecho",
    3: "Neutral",
    4: "Satisfecho",
    5: "Muy satisfecho",
}

COMMENTS: tuple[str, ...] = (
    "Muy buena atención, gracias 😊",
    'La agente "Lucía" resolvió todo, rápido y sin vueltas.',
    "Tardaron mucho en responder,\nperdí 20 minutos 😡",
    "Ótimo atendimento! Obrigado, João 👍",
    'Não consegui resolver o problema: "erro 500", de novo...',
    "Esperé, esperé y esperé…\r\nNadie respondió. ¿Para qué está el chat?",
    'Precio, plazo y "garantía" claros. ¡Excelente! ⭐⭐⭐⭐⭐',
    "Serviço péssimo, ninguém me ajudou 🙁",
    'Comillas ""dobles"", comas, punto y coma; todo junto',
    "Atendimento rápido — nota 10! 🚀🇧🇷",
    "  espacios al inicio y al final  ",
    "Regular.\n\nLa próxima vez llamo por teléfono 📞",
    'A atendente foi educada, mas a solução demorou; "paciência" é a palavra.',
    "Perfecto, mañana vuelvo 👌",
)

USER_QUERIES: tuple[str, ...] = (
    "Hola, quiero saber el estado de mi pedido #12345",
    '¿Cuánto cuesta el plan "premium"?',
    "Olá, não consigo acessar minha conta 😕",
    "Me cobraron dos veces, ¿me pueden ayudar?",
    "Quero cancelar a assinatura, por favor",
    "La app da error al pagar,\nadjunto captura",
    "¿Hacen envíos a Coruña, A?",
    "Preciso da segunda via do boleto",
)
AGENT_ANSWERS: tuple[str, ...] = (
    "¡Hola! Soy tu agente, ya reviso tu caso 🙂",
    "Claro, dame un momento, por favor.",
    "Olá! Já estou verificando, um instante.",
    'Tu pedido está "en camino", llega mañana.',
    "Listo, ya quedó solucionado. ¿Algo más?",
    "Pronto, resolvido! Mais alguma coisa? 😉",
)
BOT_GREETINGS: tuple[str, ...] = (
    "¡Hola! Soy el asistente virtual 🤖 ¿En qué te puedo ayudar?",
    "Olá! Sou o assistente virtual 🤖 Como posso ajudar?",
)
BOT_HANDOFF = "Te paso con un agente humano, aguarda un momento por favor…"


def ascii_slug(text: str) -> str:
    """Lower-case ASCII form of a name, for e-mail addresses."""
    stripped = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch if ch.isalnum() else "." for ch in stripped.lower()).strip(".")


def build_world(bot_seed: int, agent_count: int) -> World:
    """The cast of a bot, from its seed: 4 groups with distinct SLA thresholds, the protocols, the agents."""
    rng = rng_for(bot_seed, "world")
    pool = list(GROUP_POOL)
    rng.shuffle(pool)
    thresholds = rng.sample(SLA_THRESHOLDS, GROUPS_PER_BOT)
    groups = tuple(
        Group(id=index + 1, name=name, description=description, sla_threshold=threshold)
        for index, ((name, description), threshold) in enumerate(zip(pool[:GROUPS_PER_BOT], thresholds, strict=True))
    )
    names = list(AGENT_NAMES)
    rng.shuffle(names)
    agents = []
    for index in range(agent_count):
        name = names[index] if index < len(names) else f"Agente {index + 1}"
        primary = groups[index % len(groups)].id
        others = [g.id for g in groups if g.id != primary]
        group_ids = (primary, rng.choice(others)) if rng.random() < 0.35 else (primary,)
        first = name.split()[0]
        agents.append(
            Agent(
                id=1001 + index,
                name=name,
                nick_name=first + rng.choice(NICK_DECORATIONS),
                email=f"{ascii_slug(name)}@example.com",
                picture=None if index % 5 == 4 else f"https://cdn.example.com/avatars/{1001 + index}.png",
                max_concurrent_chats=rng.randint(3, 5),
                group_ids=tuple(sorted(group_ids)),
            )
        )
    return World(
        groups=groups,
        protocols=PROTOCOLS,
        agents=tuple(agents),
        attended_reasons=ATTENDED_REASONS,
        lost_reasons=LOST_REASONS,
        end_of_day_reason=END_OF_DAY_REASON,
    )
