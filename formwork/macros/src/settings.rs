//! What an action's attribute says: `#[formwork::action(access = …, rate_limit = …, …)]`.
//!
//! Each setting is `key = value`, once. The keys are a closed set, so a misspelled one is an
//! error that lists them; later settings (a concurrency policy, the action's messages) join
//! the match in [`Settings::parse`].

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{
    parse::{Parse, ParseStream},
    spanned::Spanned,
    Expr, Ident, Token,
};

/// Who may call the action, as the attribute names it.
pub enum Access {
    Public,
    SignedIn,
    AtLeast(Box<Expr>),
}

impl Access {
    fn parse(expr: &Expr) -> syn::Result<Self> {
        let last = |path: &syn::Path| path.segments.last().map(|s| s.ident.to_string());
        let wrong = || {
            syn::Error::new(
                expr.span(),
                "access is `Public`, `SignedIn` or `AtLeast(rank)` (a `formwork::identity::Rank`, \
                 or an app role's `.rank()`)",
            )
        };
        match expr {
            Expr::Path(path) => match last(&path.path).as_deref() {
                Some("Public") => Ok(Self::Public),
                Some("SignedIn") => Ok(Self::SignedIn),
                _ => Err(wrong()),
            },
            Expr::Call(call) => match (&*call.func, call.args.len()) {
                (Expr::Path(path), 1) if last(&path.path).as_deref() == Some("AtLeast") => {
                    Ok(Self::AtLeast(Box::new(call.args[0].clone())))
                }
                _ => Err(wrong()),
            },
            _ => Err(wrong()),
        }
    }

    /// The `formwork::registry::Access` value.
    pub fn value(&self) -> TokenStream {
        match self {
            Self::Public => quote!(::formwork::registry::Access::Public),
            Self::SignedIn => quote!(::formwork::registry::Access::SignedIn),
            Self::AtLeast(rank) => quote!(::formwork::registry::Access::AtLeast(#rank)),
        }
    }
}

/// The HTTP method a caller uses: POST for actions, GET for reads.
pub enum Method {
    Get,
    Post,
}

/// Everything the attribute said, checked.
pub struct Settings {
    /// Where the attribute stands, for errors about what it lacks.
    pub span: Span,
    pub access: Option<Access>,
    /// The `formwork::RateLimit` expression.
    pub rate_limit: Option<Expr>,
    /// The body limit in bytes, as a `u64` expression.
    pub body_limit: Option<TokenStream>,
    /// What the action revalidates (`revalidates = ["posts", "post:*"]`), checked literals.
    pub revalidates: Option<Vec<syn::LitStr>>,
    pub method: Option<Method>,
    /// The generated type's name, when the action gives one.
    pub name: Option<Ident>,
    /// Settings handed to `#[server]` as they are (`input`, `output`, `prefix`, `endpoint`).
    pub server: Vec<TokenStream>,
}

const KEYS: &str =
    "access, rate_limit, body_limit, revalidates, method, name, input, output, prefix, endpoint";

impl Parse for Settings {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut settings = Settings {
            span: input.span(),
            access: None,
            rate_limit: None,
            body_limit: None,
            revalidates: None,
            method: None,
            name: None,
            server: Vec::new(),
        };
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            let name = key.to_string();
            if seen.contains(&name) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{name}` is given twice"),
                ));
            }
            input.parse::<Token![=]>()?;
            match name.as_str() {
                "access" => settings.access = Some(Access::parse(&input.parse()?)?),
                "rate_limit" => settings.rate_limit = Some(rate_limit(input.parse()?)),
                "body_limit" => settings.body_limit = Some(body_limit(input)?),
                "revalidates" => settings.revalidates = Some(revalidates(input)?),
                "method" => {
                    let method: Ident = input.parse()?;
                    settings.method = Some(match method.to_string().as_str() {
                        "GET" => Method::Get,
                        "POST" => Method::Post,
                        _ => {
                            return Err(syn::Error::new(
                                method.span(),
                                "method is `GET` (a read) or `POST` (an action, the default)",
                            ))
                        }
                    });
                }
                "name" => settings.name = Some(input.parse()?),
                "input" | "output" => {
                    let ty: syn::Type = input.parse()?;
                    settings.server.push(quote!(#key = #ty));
                }
                "prefix" | "endpoint" => {
                    let path: syn::LitStr = input.parse()?;
                    settings.server.push(quote!(#key = #path));
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown setting `{name}`; an action's settings are: {KEYS}"),
                    ))
                }
            }
            seen.push(name);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        if matches!(settings.method, Some(Method::Get)) && seen.iter().any(|k| k == "input") {
            return Err(syn::Error::new(
                settings.span,
                "`method = GET` already chooses the input encoding (`GetUrl`); give one of the two",
            ));
        }
        Ok(settings)
    }
}

/// `["posts", "post:*", "/posts/*"]`: what an action revalidates, as string literals: tags, and
/// paths (starting with `/`), `*` standing for any text. An empty list says "nothing".
fn revalidates(input: ParseStream) -> syn::Result<Vec<syn::LitStr>> {
    let content;
    syn::bracketed!(content in input);
    let list = content.parse_terminated(<syn::LitStr as Parse>::parse, Token![,])?;
    let list: Vec<syn::LitStr> = list.into_iter().collect();
    for literal in &list {
        let value = literal.value();
        if value.is_empty() || value.chars().any(char::is_whitespace) {
            return Err(syn::Error::new(
                literal.span(),
                "a tag or path to revalidate is one word: `\"posts\"`, `\"post:*\"`, `\"/posts/*\"`",
            ));
        }
    }
    Ok(list)
}

/// `per_user(30).per_hour()`: a chain that starts at one of `RateLimit`'s constructors may
/// leave out the type; anything else is taken as written.
fn rate_limit(mut expr: Expr) -> Expr {
    let mut base = &mut expr;
    loop {
        match base {
            Expr::MethodCall(call) => base = &mut call.receiver,
            Expr::Call(call) => {
                if let Expr::Path(path) = &mut *call.func {
                    if let Some(ident) = path.path.get_ident().cloned() {
                        if ["per_ip", "per_user", "per_ip_and_user"].contains(&&*ident.to_string())
                        {
                            path.path = syn::parse_quote_spanned!(ident.span()=>
                                ::formwork::RateLimit::#ident);
                        }
                    }
                }
                break;
            }
            _ => break,
        }
    }
    expr
}

/// `64 KiB`, `5 MiB`, `1024 B` or any `u64` expression (`MAX_BYTES + 64 * 1024`).
fn body_limit(input: ParseStream) -> syn::Result<TokenStream> {
    let amount: Expr = input.parse()?;
    if !input.peek(Ident) {
        return Ok(quote!({ let bytes: u64 = #amount; bytes }));
    }
    let unit: Ident = input.parse()?;
    let is_number = matches!(&amount, Expr::Lit(lit) if matches!(lit.lit, syn::Lit::Int(_)));
    let factor: u64 =
        match unit.to_string().as_str() {
            _ if !is_number => return Err(syn::Error::new(
                unit.span(),
                "a unit follows a number (`64 KiB`); an expression is in bytes (`MAX + 64 * 1024`)",
            )),
            "B" => 1,
            "KiB" => 1024,
            "MiB" => 1024 * 1024,
            _ => {
                return Err(syn::Error::new(
                    unit.span(),
                    "a body limit's unit is `B`, `KiB` or `MiB`",
                ))
            }
        };
    Ok(quote!({ let amount: u64 = #amount; amount * #factor }))
}
