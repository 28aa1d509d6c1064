"""Agent names from the cultures a real floor has, in their own scripts.

Chinese names are written in Chinese characters and one display name carries a bracketed
tag, so the dashboard has to prove that it shows both literally (width, no markup).
"""

from __future__ import annotations

from itertools import chain, zip_longest

# Full names per culture, the way they are written: Chinese family name first, no space.
_CURATED: tuple[tuple[str, ...], ...] = (
    ("王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞"),
    ("Amaka Obi", "Chinedu Okafor", "Tunde Adeyemi", "Ngozi Eze", "Emeka Nwosu",
     "Funke Adebayo", "Bola Ogunleye", "Ifeoma Okeke", "Segun Balogun", "Zainab Bello"),
    ("Priya Sharma", "Arjun Patel", "Ananya Iyer", "Rahul Verma", "Kavya Reddy",
     "Vikram Singh", "Sneha Nair", "Rohan Gupta", "Deepa Menon", "Aditya Rao"),
    ("Agnieszka Kowalska", "Piotr Nowak", "Katarzyna Wiśniewska", "Tomasz Wójcik",
     "Magdalena Kamińska", "Łukasz Lewandowski", "Zofia Zielińska", "Michał Szymański",
     "Anna Dąbrowska", "Paweł Kozłowski"),
    ("Lucía García", "Javier Martínez", "Carmen López", "Alejandro Sánchez", "María Fernández",
     "Pablo Gómez", "Elena Ruiz", "Sergio Díaz", "Nuria Moreno", "Álvaro Jiménez"),
    # A display name with a bracketed tag, as some ACDs let team leads set them.
    ("Emma Thompson", "Oliver Hughes", "Grace Mensah [TL]", "Harry Wilson", "Amelia Evans",
     "George Roberts", "Sophie Walker", "Jack Robinson", "Charlotte Davies", "Thomas Wright"),
    ("Fatima Al-Sayed", "Omar Haddad", "Layla Mansour", "Youssef Khalil", "Nour Hamdan",
     "Karim Saleh", "Mariam Aziz", "Ahmed Farouk", "Rania Nasser", "Tariq Ibrahim"),
)

# Given and family names for floors larger than the curated list; joined as each culture does.
_PARTS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("芳", "娜", "伟", "洋", "静", "磊", "敏", "强", "杰", "霞", "秀英", "建国", "丽娟", "志明"),
     ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱"), ""),
    (("Adaeze", "Babatunde", "Chiamaka", "Dayo", "Efe", "Folake", "Ikenna", "Kemi", "Obinna"),
     ("Obi", "Okafor", "Adeyemi", "Eze", "Nwosu", "Adebayo", "Okeke", "Balogun", "Bello"), " "),
    (("Aarav", "Diya", "Ishaan", "Meera", "Nikhil", "Pooja", "Sanjay", "Tanvi", "Varun"),
     ("Sharma", "Patel", "Iyer", "Verma", "Reddy", "Singh", "Nair", "Gupta", "Menon"), " "),
    (("Jakub", "Kinga", "Marek", "Natalia", "Oskar", "Julia", "Wojciech", "Ewa", "Bartosz"),
     ("Nowak", "Wójcik", "Mazur", "Krawczyk", "Kaczmarek", "Grabowski", "Pawlak", "Król"), " "),
    (("Adrián", "Beatriz", "Diego", "Inés", "Marta", "Raúl", "Sofía", "Hugo", "Irene"),
     ("García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Vega"), " "),
    (("Alfie", "Ella", "Freddie", "Isla", "Leo", "Millie", "Noah", "Poppy", "Theo"),
     ("Hughes", "Walker", "Evans", "Roberts", "Clarke", "Turner", "Hall", "Green"), " "),
    (("Amira", "Bilal", "Dina", "Hamza", "Huda", "Khalid", "Salma", "Samir", "Yara"),
     ("Haddad", "Mansour", "Khalil", "Hamdan", "Saleh", "Aziz", "Nasser", "Qasim"), " "),
)


def _curated() -> list[str]:
    # Interleaved so that even a small floor mixes every culture.
    return [n for n in chain.from_iterable(zip_longest(*_CURATED)) if n is not None]


def _combined() -> list[str]:
    per_culture = [
        [f"{family}{sep}{given}" if not sep else f"{given}{sep}{family}"
         for family in families for given in givens]
        for givens, families, sep in _PARTS
    ]
    return [n for n in chain.from_iterable(zip_longest(*per_culture)) if n is not None]


def agent_names(n: int) -> list[str]:
    """``n`` distinct names, the same for the same ``n``; very large floors get a number."""
    names: list[str] = []
    seen: set[str] = set()
    for name in chain(_curated(), _combined()):
        if len(names) == n:
            return names
        if name not in seen:
            seen.add(name)
            names.append(name)
    base = list(names)
    round_ = 2
    while len(names) < n:
        names.extend(f"{name} {round_}" for name in base[: n - len(names)])
        round_ += 1
    return names
