"""Localized texts of the mails Tessera sends on its own: acknowledgement, notices, the CSAT
survey.

Plain ``str.format`` templates, one set per language (no template engine: the texts are ours,
never a customer's, and a dict keeps the cold start small). Add a language by adding a key;
:func:`pick` falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass

RTL = frozenset({"fa", "ar", "he"})


# Units for sizes in mail texts, per language (``size_text``); English's for the others.
SIZE_UNITS = {
    "en": ("bytes", "KB", "MB"),
    "fa": ("بایت", "کیلوبایت", "مگابایت"),
    "el": ("bytes", "KB", "MB"),
}


@dataclass(frozen=True)
class Texts:
    ack_subject: str
    ack_body: str
    limit_subject: str
    limit_body: str
    oversized_subject: str
    oversized_body: str
    reply_marker: str
    survey_subject: str
    survey_body: str


TEXTS: dict[str, Texts] = {
    "en": Texts(
        ack_subject="[#{number}] We received your request: {subject}",
        ack_body=(
            "Hello,\n\n"
            "thank you for writing to {brand}. We opened ticket #{number} for your request and "
            "will answer as soon as we can.\n\n"
            "See the ticket at any time: {link}\n\n"
            "To add something, just reply to this mail.\n\n-- {brand}"
        ),
        limit_subject="Re: {subject}",
        limit_body=(
            "Hello,\n\n"
            "you already have {count} open requests with {brand}, so we did not open another "
            "one for this mail. Please reply to one of your open tickets instead; we kept your "
            "mail and will see it.\n\n-- {brand}"
        ),
        oversized_subject="Re: {subject}",
        oversized_body=(
            "Hello,\n\nyour mail to {brand} is larger than the {limit} we accept, so it "
            "did not open a ticket. Please send it again with smaller or fewer attachments, or "
            "share a link to the files.\n\n-- {brand}"
        ),
        reply_marker="##- Please type your reply above this line -##",
        survey_subject="[#{number}] How did we do?",
        survey_body=(
            "Hello,\n\n"
            "your request #{number} ({subject}) is solved. How would you rate our support, from "
            "1 (poor) to 5 (great)?\n\n"
            "Reply with the number alone on the first line (a comment below it is welcome), or "
            "rate it on the ticket's page: {link}\n\n"
            "Your rating does not reopen the ticket.\n\n-- {brand}"
        ),
    ),
    "fa": Texts(
        ack_subject="[#{number}] درخواست شما دریافت شد: {subject}",
        ack_body=(
            "سلام،\n\n"
            "از اینکه با {brand} تماس گرفتید سپاسگزاریم. برای درخواست شما تیکت شماره #{number} "
            "ثبت شد و در اسرع وقت پاسخ می‌دهیم.\n\n"
            "مشاهده تیکت: {link}\n\n"
            "برای افزودن توضیحات، به همین ایمیل پاسخ دهید.\n\nبا احترام،\n{brand}"
        ),
        limit_subject="Re: {subject}",
        limit_body=(
            "سلام،\n\n"
            "شما هم‌اکنون {count} درخواست باز نزد {brand} دارید، بنابراین برای این ایمیل تیکت "
            "جدیدی باز نشد. لطفاً به یکی از تیکت‌های باز خود پاسخ دهید؛ ایمیل شما نگه داشته "
            "شده است.\n\nبا احترام،\n{brand}"
        ),
        oversized_subject="Re: {subject}",
        oversized_body=(
            "سلام،\n\nحجم ایمیل شما به {brand} از {limit} بیشتر است و تیکتی باز "
            "نشد. لطفاً آن را با پیوست‌های کوچک‌تر دوباره بفرستید.\n\nبا احترام،\n{brand}"
        ),
        reply_marker="##- لطفاً پاسخ خود را بالای این خط بنویسید -##",
        survey_subject="[#{number}] کار ما چطور بود؟",
        survey_body=(
            "سلام،\n\n"
            "درخواست شما به شماره #{number} ({subject}) حل شد. به پشتیبانی ما از ۱ (ضعیف) تا "
            "۵ (عالی) چه امتیازی می‌دهید؟\n\n"
            "فقط عدد را در خط اول پاسخ بنویسید (توضیح زیر آن خوشحالمان می‌کند)، یا در صفحه‌ی "
            "تیکت امتیاز دهید: {link}\n\n"
            "امتیاز شما تیکت را دوباره باز نمی‌کند.\n\nبا احترام،\n{brand}"
        ),
    ),
    "el": Texts(
        ack_subject="[#{number}] Λάβαμε το αίτημά σας: {subject}",
        ack_body=(
            "Γεια σας,\n\n"
            "σας ευχαριστούμε που επικοινωνήσατε με {brand}. Ανοίξαμε το αίτημα #{number} και "
            "θα σας απαντήσουμε το συντομότερο.\n\n"
            "Δείτε το αίτημα: {link}\n\n"
            "Για να προσθέσετε κάτι, απαντήστε σε αυτό το μήνυμα.\n\n-- {brand}"
        ),
        limit_subject="Re: {subject}",
        limit_body=(
            "Γεια σας,\n\n"
            "έχετε ήδη {count} ανοιχτά αιτήματα στην {brand}, γι' αυτό δεν ανοίξαμε νέο για "
            "αυτό το μήνυμα. Απαντήστε σε ένα από τα ανοιχτά σας αιτήματα· κρατήσαμε το "
            "μήνυμά σας.\n\n-- {brand}"
        ),
        oversized_subject="Re: {subject}",
        oversized_body=(
            "Γεια σας,\n\nτο μήνυμά σας προς {brand} ξεπερνά τα {limit} και δεν άνοιξε "
            "αίτημα. Στείλτε το ξανά με μικρότερα συνημμένα.\n\n-- {brand}"
        ),
        reply_marker="##- Γράψτε την απάντησή σας πάνω από αυτή τη γραμμή -##",
        survey_subject="[#{number}] Πώς τα πήγαμε;",
        survey_body=(
            "Γεια σας,\n\n"
            "το αίτημά σας #{number} ({subject}) επιλύθηκε. Πώς θα βαθμολογούσατε την "
            "υποστήριξή μας, από 1 (κακή) έως 5 (εξαιρετική);\n\n"
            "Απαντήστε με τον αριθμό μόνο του στην πρώτη γραμμή (ένα σχόλιο από κάτω είναι "
            "ευπρόσδεκτο) ή βαθμολογήστε στη σελίδα του αιτήματος: {link}\n\n"
            "Η βαθμολογία σας δεν ανοίγει ξανά το αίτημα.\n\n-- {brand}"
        ),
    ),
}


def pick(language: str | None) -> tuple[str, Texts]:
    """The language to write in and its texts (English when there is none for ``language``)."""
    if language in TEXTS:
        return language, TEXTS[language]
    return "en", TEXTS["en"]


def size_text(size: int, language: str) -> str:
    """A byte count as a reader says it: whole MB from 1 MB up (one decimal when not whole),
    KB below that, bytes below 1 KB. A limit of 2000 bytes is "2 KB", never "0 MB"."""
    unit_bytes, unit_kb, unit_mb = SIZE_UNITS.get(language, SIZE_UNITS["en"])
    for step, unit in ((1024 * 1024, unit_mb), (1024, unit_kb)):
        if size >= step:
            amount = round(size / step, 1)
            return f"{amount:g} {unit}"
    return f"{size} {unit_bytes}"


def without_link(body: str) -> str:
    """A mail body template without its paragraph that holds ``{link}``: the copy kept in the
    thread, which others on the ticket may read (a signed link is personal; it stays in the
    mail)."""
    return "\n\n".join(p for p in body.split("\n\n") if "{link}" not in p)
