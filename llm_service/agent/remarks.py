"""Remarks: what people say about things in a voice channel, which asks for nothing.

"Honestly github has been so slow today", "ugh the build is red again", "that pull request
review was brutal lol", "we should get pizza after the standup": they use a tool's words, but
nobody asked for anything. A line is a remark when none of its clauses asks (no clause opens
with a question word, an imperative or a wish such as "I need", and the line has no question
mark, "please", "for me" or "can you") and it comments: it opens with a word of opinion
("honestly", "ugh", "I think", "we should") or says how something is or was ("the build is
red", "that review was brutal", "my calendar is a disaster"). Routers ask `is_a_remark` before
scoring, as they ask `concept_questions`, so no router has to learn this from examples.
Nothing here names a tool.
"""

from __future__ import annotations

import re

ASKING = re.compile(
    r"\?|\b(?:please|for me|can you|could you|would you|will you|let me know"
    r"|i wonder (?:if|whether|what|when|who|which|how many))\b",
    re.IGNORECASE,
)
ASK_OPENERS = frozenset(
    {"what", "what's", "whats", "when", "when's", "where", "where's", "who", "who's", "which"}
    | {"how", "how's", "why", "is", "are", "am", "do", "does", "did", "have", "has", "can"}
    | {"could", "would", "will", "shall", "any", "anything", "show", "list", "find", "fetch"}
    | {"give", "tell", "open", "close", "create", "make", "book", "schedule", "add", "put"}
    | {"set", "move", "cancel", "delete", "remove", "rename", "merge", "comment", "check"}
    | {"look", "search", "pull", "start", "stop", "run", "rerun", "restart", "post"}
    | {"deploy", "describe", "send", "update", "change", "label", "assign", "remind", "help"}
    | {"plan", "reopen", "read", "say", "count", "compare", "see", "bring", "clear", "note"}
    | {"file", "raise", "reply", "approve", "trigger", "kick", "pause", "resume", "write"}
)
WISHES = re.compile(
    r"^(?:i|we) (?:need|want|wanna|would like|'d like|d like|have to|must)\b"
    r"|^(?:i'd|we'd) like\b|^let me\b",
    re.IGNORECASE,
)
INTERJECTIONS = "honestly|ugh|lol|oh|man|dude|yeah"
"""Words a comment may open with that ask for nothing by themselves ("honestly just list…")."""
OPINION_OPENERS = re.compile(
    rf"^(?:{INTERJECTIONS}|haha|wow|ah|yep|nah|meh|damn|geez|welp)\b"
    r"|^(?:i|we) (?:think|guess|feel|love|hate|like|bet|swear|should|wonder why)\b"
    r"|^(?:i|we) (?:had|was|were|saw|heard|spent|went|can't believe|cannot believe)\b"
    r"|^(?:that|this|it)(?: was| is|'s| has been| looks| seems| feels| sounds)\b"
    r"|^let's (?:take|grab|get|go|call it)\b"
    r"|^(?:great|good|nice|awesome|amazing|solid) (?:job|work|call|one|stuff)\b"
    r"|^(?:congrats|congratulations|kudos|well done|props)\b",
    re.IGNORECASE,
)
DESCRIBING = re.compile(
    r"^(?:the|that|this|my|our|your|these|those)\b[\w\s'-]{0,40}?"
    r"\b(?:is|was|are|were|has been|have been|keeps|kept|looks|looked|seems|seemed|feels|felt"
    r"|sounds|sounded|went|got)\b",
    re.IGNORECASE,
)
SUGGESTING = re.compile(
    rf"^(?:(?:{INTERJECTIONS}|actually|just|quickly),?\s+)*"
    r"(?:(?:let's|let us|(?:it's |it is )?time to|(?:maybe )?(?:we|you|i) (?:should|could|can))"
    r"\s+)?"
)
SIGHING = re.compile(rf"\b(?:{INTERJECTIONS}|haha|lmao|smh)[.!]*$", re.IGNORECASE)
"""A comment may end with an interjection too ("github actions pricing is so confusing,
ugh")."""
CLAUSE_BREAKS = re.compile(r"[,;.!]+\s*|\s+(?:and|but|so|then)\s+", re.IGNORECASE)
FILLERS = re.compile(
    r"^(?:(?:hey|ok|okay|so|um|uh|well|alright|right|now|then),?\s+)+", re.IGNORECASE
)


def _clauses(text: str) -> list[str]:
    parts = CLAUSE_BREAKS.split(text.strip().lower())
    return [FILLERS.sub("", part).strip() for part in parts if part.strip()]


def _asks(clause: str) -> bool:
    """Whether a clause asks: it opens (after "honestly", "just") with a question word, an
    imperative or a wish, or suggests doing something a tool does ("let's book", "we should
    open")."""
    words = SUGGESTING.sub("", clause).split(maxsplit=1)
    return (words[0] if words else "") in ASK_OPENERS or WISHES.search(clause) is not None


def is_a_remark(text: str) -> bool:
    """Whether the line comments on something and asks for nothing (see the module's
    docstring)."""
    clauses = _clauses(text)
    if not clauses or ASKING.search(text) or any(_asks(clause) for clause in clauses):
        return False
    first = FILLERS.sub("", text.strip().lower())
    comments = (OPINION_OPENERS.search(first), DESCRIBING.search(first), SIGHING.search(first))
    return any(match is not None for match in comments)
