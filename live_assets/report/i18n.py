"""Every word the report prints, in English, Spanish and Portuguese, and the numbers and dates as each
language writes them. Translations are data, in this one place: a new label is one entry of ``TEXT``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Final

LANGUAGES: Final = ("en", "es", "pt")

# key -> (en, es, pt). Placeholders in braces are filled by ``Words.__call__``.
TEXT: Final[dict[str, tuple[str, str, str]]] = {
    "title": ("Contact-center report", "Informe del centro de contacto", "Relatório da central de atendimento"),
    "bot": ("Bot", "Bot", "Bot"),
    "generated": ("generated {when}", "generado el {when}", "gerado em {when}"),
    "period.day": ("{day}", "{day}", "{day}"),
    "period.week": (
        "Week {week}: {first} – {last}",
        "Semana {week}: {first} – {last}",
        "Semana {week}: {first} – {last}",
    ),
    "period.range": (
        "{first} – {last} ({days} days)",
        "{first} – {last} ({days} días)",
        "{first} – {last} ({days} dias)",
    ),
    "previous.day": ("previous day", "día anterior", "dia anterior"),
    "previous.week": ("previous week", "semana anterior", "semana anterior"),
    "previous.range": ("previous {days} days", "{days} días anteriores", "{days} dias anteriores"),
    "vs_previous": ("vs {previous}", "vs {previous}", "vs {previous}"),
    "no_previous": ("no data for the {previous}", "sin datos del {previous}", "sem dados do {previous}"),
    # headline
    "h.headline": ("The period at a glance", "El período de un vistazo", "O período em resumo"),
    "m.sla": ("Service level", "Nivel de servicio", "Nível de serviço"),
    "m.abandonment": ("Abandonment", "Abandono", "Abandono"),
    "m.wait_p90": ("Wait, 90th percentile", "Espera, percentil 90", "Espera, percentil 90"),
    "m.csat": ("Customer satisfaction", "Satisfacción (CSAT)", "Satisfação (CSAT)"),
    "m.volume": ("Conversations offered", "Conversaciones recibidas", "Conversas recebidas"),
    "target.min": ("target ≥ {value}", "objetivo ≥ {value}", "meta ≥ {value}"),
    "target.max": ("target ≤ {value}", "objetivo ≤ {value}", "meta ≤ {value}"),
    "target.none": ("no target", "sin objetivo", "sem meta"),
    "target.met": ("on target", "en objetivo", "na meta"),
    "target.missed": ("off target", "fuera de objetivo", "fora da meta"),
    "groups_on_target": (
        "{met} of {total} groups on target",
        "{met} de {total} grupos en objetivo",
        "{met} de {total} grupos na meta",
    ),
    "headline.note": (
        "Service level: conversations answered within their group's threshold ÷ offered (lost ones count "
        "against it). CSAT: answers scoring 4 or 5 ÷ answers ({answers} answers).",
        "Nivel de servicio: conversaciones atendidas dentro del umbral de su grupo ÷ recibidas (las perdidas "
        "cuentan en contra). CSAT: respuestas con 4 o 5 ÷ respuestas ({answers} respuestas).",
        "Nível de serviço: conversas atendidas dentro do limite do seu grupo ÷ recebidas (as perdidas contam "
        "contra). CSAT: respostas com 4 ou 5 ÷ respostas ({answers} respostas).",
    ),
    "headline.targets": (
        "Targets shown are the bot's defaults; each group's own targets are in the table below.",
        "Los objetivos mostrados son los generales del bot; los de cada grupo están en la tabla.",
        "As metas mostradas são as gerais do bot; as de cada grupo estão na tabela.",
    ),
    # service level
    "h.sla_groups": ("Service level by group", "Nivel de servicio por grupo", "Nível de serviço por grupo"),
    "h.sla_channels": ("Service level by channel", "Nivel de servicio por canal", "Nível de serviço por canal"),
    "sla.chart_note": (
        "Each panel: the service level per day; dashed line: the target; red points are below it.",
        "Cada panel: nivel de servicio por día; línea discontinua: el objetivo; en rojo, los días por debajo.",
        "Cada painel: nível de serviço por dia; linha tracejada: a meta; em vermelho, os dias abaixo dela.",
    ),
    "sla.bar_note": (
        "Bars: the service level of the day; the dark tick is the target.",
        "Barras: nivel de servicio del día; la marca oscura es el objetivo.",
        "Barras: nível de serviço do dia; a marca escura é a meta.",
    ),
    "col.group": ("Group", "Grupo", "Grupo"),
    "col.channel": ("Channel", "Canal", "Canal"),
    "col.offered": ("Offered", "Recibidas", "Recebidas"),
    "col.lost": ("Lost", "Perdidas", "Perdidas"),
    "col.sla": ("Service level", "Nivel de servicio", "Nível de serviço"),
    "col.sla_target": ("SL target", "Objetivo NS", "Meta NS"),
    "col.abandonment": ("Abandonment", "Abandono", "Abandono"),
    "col.wait_p90": ("Wait p90", "Espera p90", "Espera p90"),
    "col.csat": ("CSAT", "CSAT", "CSAT"),
    "col.answers": ("Answers", "Respuestas", "Respostas"),
    "total": ("All groups", "Todos los grupos", "Todos os grupos"),
    "all_channels": ("All channels", "Todos los canales", "Todos os canais"),
    "groups.note": (
        "Red: off target. Wait p90: 90 % of the answered conversations waited at most this long.",
        "En rojo: fuera de objetivo. Espera p90: el 90 % de las conversaciones atendidas esperó como mucho esto.",
        "Em vermelho: fora da meta. Espera p90: 90 % das conversas atendidas esperaram no máximo isto.",
    ),
    "channels.note": (
        "Channels are judged against the bot's default service-level target ({target}).",
        "Los canales se comparan con el objetivo general del bot ({target}).",
        "Os canais são comparados com a meta geral do bot ({target}).",
    ),
    # time of day
    "h.time_of_day": (
        "When chats arrive and when service drops",
        "Cuándo llegan los chats y cuándo cae el servicio",
        "Quando chegam os chats e quando o serviço cai",
    ),
    "tod.average": (
        "Average per half hour over {count} weekday(s) (Monday to Friday) of the period.",
        "Promedio por media hora en {count} día(s) laborable(s) (lunes a viernes) del período.",
        "Média por meia hora em {count} dia(s) útil(eis) (segunda a sexta) do período.",
    ),
    "tod.average_all": (
        "Average per half hour over the period's {count} day(s) (it has no weekday).",
        "Promedio por media hora en los {count} día(s) del período (no tiene días laborables).",
        "Média por meia hora nos {count} dia(s) do período (não tem dias úteis).",
    ),
    "tod.offered": ("offered (average)", "recibidas (promedio)", "recebidas (média)"),
    "tod.sla": ("service level of the hour", "nivel de servicio de la hora", "nível de serviço da hora"),
    "tod.worst": ("worst hours", "peores horas", "piores horas"),
    "tod.worst_list": ("Worst hours: {hours}.", "Peores horas: {hours}.", "Piores horas: {hours}."),
    "tod.note": (
        "Columns: conversations offered per half hour (histogram). Line: service level per hour (hourly "
        "summary), with the bot's target dashed. Marked: the hours with the lowest service level among "
        "those with at least {min_offered} conversations.",
        "Columnas: conversaciones recibidas por media hora (histograma). Línea: nivel de servicio por hora "
        "(resumen horario), con el objetivo del bot discontinuo. Marcadas: las horas de peor nivel de "
        "servicio entre las que tienen al menos {min_offered} conversaciones.",
        "Colunas: conversas recebidas por meia hora (histograma). Linha: nível de serviço por hora (resumo "
        "horário), com a meta do bot tracejada. Marcadas: as horas de pior nível de serviço entre as que "
        "têm pelo menos {min_offered} conversas.",
    ),
    # agents
    "h.agents": ("Agents — {period}", "Agentes — {period}", "Agentes — {period}"),
    "agents.chart": (
        "Conversations handled (top {count}); to the right: CSAT and first response",
        "Conversaciones atendidas (primeros {count}); a la derecha: CSAT y primera respuesta",
        "Conversas atendidas (primeiros {count}); à direita: CSAT e primeira resposta",
    ),
    "agents.note": (
        "A conversation counts for the agent who finally held it. First response: from the agent's start "
        "to their first message. Green CSAT ≥ {good} %, red < {bad} %.",
        "Una conversación cuenta para el agente que la tuvo al final. Primera respuesta: desde que el agente "
        "la toma hasta su primer mensaje. CSAT en verde ≥ {good} %, en rojo < {bad} %.",
        "Uma conversa conta para o agente que a teve no final. Primeira resposta: de quando o agente a assume "
        "até a sua primeira mensagem. CSAT em verde ≥ {good} %, em vermelho < {bad} %.",
    ),
    "col.rank": ("#", "#", "#"),
    "col.agent": ("Agent", "Agente", "Agente"),
    "col.handled": ("Handled", "Atendidas", "Atendidas"),
    "col.hours": ("Hours", "Horas", "Horas"),
    "col.handle": ("Handle time", "Tiempo de gestión", "Tempo de atendimento"),
    "col.first_response": ("First response", "Primera respuesta", "Primeira resposta"),
    "col.transfer": ("Transferred", "Transferidas", "Transferidas"),
    "first_response_short": ("1st resp.", "1.ª resp.", "1.ª resp."),
    # alerts
    "h.alerts": ("Alerts of the period", "Alertas del período", "Alertas do período"),
    "alerts.none": (
        "No alert was open during the period.",
        "Ninguna alerta estuvo abierta durante el período.",
        "Nenhum alerta esteve aberto durante o período.",
    ),
    "alerts.summary": (
        "{opened} opened, {resolved} resolved, {open} still open.",
        "{opened} abiertas, {resolved} resueltas, {open} siguen abiertas.",
        "{opened} abertos, {resolved} resolvidos, {open} ainda abertos.",
    ),
    "col.metric": ("Metric", "Métrica", "Métrica"),
    "col.value": ("Value", "Valor", "Valor"),
    "col.target": ("Target", "Objetivo", "Meta"),
    "col.window": ("Window", "Ventana", "Janela"),
    "col.opened": ("Opened", "Abierta", "Aberto"),
    "col.resolved": ("Resolved", "Resuelta", "Resolvido"),
    "col.notified": ("Notified", "Notificada", "Notificado"),
    "alert.open": ("still open", "sigue abierta", "ainda aberto"),
    "alert.not_sent": ("not sent yet", "sin enviar", "não enviado"),
    "metric.sla_pct_min": ("service level", "nivel de servicio", "nível de serviço"),
    "metric.abandonment_pct_max": ("abandonment", "abandono", "abandono"),
    "metric.wait_p90_s_max": ("wait p90", "espera p90", "espera p90"),
    # completeness
    "h.data": (
        "For the data engineer: completeness",
        "Para el ingeniero de datos: completitud",
        "Para o engenheiro de dados: completude",
    ),
    "col.table": ("Table", "Tabla", "Tabela"),
    "col.partitions": ("Partitions present", "Particiones presentes", "Partições presentes"),
    "col.rows": ("Rows", "Filas", "Linhas"),
    "col.missing": ("Missing", "Faltan", "Faltam"),
    "col.loaded": ("Loaded", "Cargado", "Carregado"),
    "col.check": ("Check", "Comprobación", "Verificação"),
    "col.asset": ("Asset", "Asset", "Asset"),
    "col.passed": ("Passed", "Correctas", "Aprovadas"),
    "col.failed": ("Failed", "Fallidas", "Falhas"),
    "col.detail": ("Detail", "Detalle", "Detalhe"),
    "table.absent": ("not in the warehouse", "no está en el almacén", "não está no armazém"),
    "checks.none": (
        "No check result was read for these partitions (the command line reads none: see the Dagster UI).",
        "No se leyó ningún resultado de comprobación (la línea de comandos no los lee: véase Dagster).",
        "Nenhum resultado de verificação foi lido (a linha de comando não os lê: veja o Dagster).",
    ),
    "data.note": (
        "Partitions: days (or weeks) of the period with rows for this bot. Loaded: the latest load or "
        "computation of those rows ({zone}).",
        "Particiones: días (o semanas) del período con filas de este bot. Cargado: la última carga o cálculo "
        "de esas filas ({zone}).",
        "Partições: dias (ou semanas) do período com linhas deste bot. Carregado: a última carga ou cálculo "
        "dessas linhas ({zone}).",
    ),
    "empty": (
        "No conversation in this period: the KPI tables hold no row for this bot and these days.",
        "Ninguna conversación en este período: las tablas de KPI no tienen filas de este bot en estos días.",
        "Nenhuma conversa neste período: as tabelas de KPI não têm linhas deste bot nestes dias.",
    ),
    "no_rows": ("No rows.", "Sin filas.", "Sem linhas."),
}

MONTHS: Final = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "pt": ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
}
WEEKDAYS: Final = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "pt": ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
}
# (decimal mark, thousands separator, gap before "%")
NUMBERS: Final = {"en": (".", ",", ""), "es": (",", ".", " "), "pt": (",", ".", " ")}
MISSING: Final = "–"


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Words:
    """The report's vocabulary and number formats in one language."""

    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"report language must be one of {', '.join(LANGUAGES)}, got {self.lang!r}")

    def __call__(self, key: str, **values: object) -> str:
        return TEXT[key][LANGUAGES.index(self.lang)].format(**values)

    def number(self, value: object, decimals: int = 0) -> str:
        if is_missing(value):
            return MISSING
        decimal, thousands, _ = NUMBERS[self.lang]
        text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
        return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)

    def count(self, value: object) -> str:
        return self.number(value, 0)

    def pct(self, value: object, decimals: int = 1) -> str:
        return MISSING if is_missing(value) else f"{self.number(value, decimals)}{NUMBERS[self.lang][2]}%"

    def points(self, delta: float) -> str:
        """A difference of percentages, signed: ``+2.5 pts``."""
        sign = "+" if delta > 0 else "−" if delta < 0 else "±"
        return f"{sign}{self.number(abs(delta), 1)} pp"

    def seconds(self, value: object) -> str:
        """A duration as people read a wait: ``42 s``, ``95 s``, ``2 min 05 s``, ``2 h 03 min``."""
        if is_missing(value):
            return MISSING
        total = round(float(value))  # type: ignore[arg-type]
        if total < 120:
            return f"{total} s"
        if total < 3600:
            return f"{total // 60} min {total % 60:02d} s"
        return f"{total // 3600} h {total % 3600 // 60:02d} min"

    def day(self, day: dt.date, weekday: bool = True, year: bool = True) -> str:
        text = f"{day.day} {MONTHS[self.lang][day.month - 1]}" + (f" {day.year}" if year else "")
        return f"{WEEKDAYS[self.lang][day.weekday()]} {text}" if weekday else text

    def short_day(self, day: dt.date) -> str:
        return f"{WEEKDAYS[self.lang][day.weekday()]} {day.day}"

    def moment(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return MISSING
        return f"{self.day(moment.date(), weekday=False)} {moment:%H:%M}"
